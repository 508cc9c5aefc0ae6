import type { CountersSnapshot, TargetState } from './proxy-types.ts';

/** What the proxy knows about one service, as /metrics exposes it. */
export interface ServiceMetrics {
  service: string;
  counters: Record<string, CountersSnapshot>;
  /** Release weights in percent; null while traffic spreads over every healthy target. */
  weights: Record<string, number> | null;
  targets: readonly TargetState[];
}

/** The content type of the text exposition format this builder writes. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  lines: string[];
}

/**
 * The proxy's counters in the Prometheus text format, labelled by service and release, so that a
 * Prometheus (and the dashboards on it) sees the numbers canary analysis judges. Pure: tested by
 * exact output.
 */
export function buildPrometheusText(services: readonly ServiceMetrics[]): string {
  const families: Family[] = [
    family('cutover_proxy_requests_total', 'counter', 'Requests answered through the proxy, by status class.'),
    family('cutover_proxy_generated_errors_total', 'counter', 'Answers the proxy generated itself (502, 503, 504).'),
    family('cutover_proxy_upstream_timeouts_total', 'counter', 'Requests answered 504 because an instance was silent past a timeout.'),
    family('cutover_proxy_request_duration_seconds', 'histogram', 'Time from a request to the end of its answer.'),
    family('cutover_proxy_release_weight', 'gauge', 'Share of new requests per release in percent, while weights are set.'),
    family('cutover_proxy_targets', 'gauge', 'Instances in the proxy pool, by state.'),
    family('cutover_proxy_in_flight_requests', 'gauge', 'Requests being answered right now.'),
  ];
  const [requests, generated, timeouts, duration, weight, targets, inFlight] = families;
  for (const { service, counters, weights, targets: states } of services) {
    for (const [release, snapshot] of Object.entries(counters)) {
      const base = { service, release };
      for (const [statusClass, count] of Object.entries(snapshot.byStatusClass))
        requests.lines.push(sample(requests.name, { ...base, code: statusClass }, count));
      generated.lines.push(sample(generated.name, base, snapshot.proxyErrors));
      timeouts.lines.push(sample(timeouts.name, base, snapshot.timeouts ?? 0));
      for (const bucket of snapshot.latencyBucketsMs) {
        const le = !Number.isFinite(bucket.le) ? '+Inf' : String(bucket.le / 1000);
        duration.lines.push(sample(`${duration.name}_bucket`, { ...base, le }, bucket.count));
      }
      duration.lines.push(sample(`${duration.name}_sum`, base, snapshot.latencySumMs / 1000));
      duration.lines.push(sample(`${duration.name}_count`, base, snapshot.requests));
    }
    for (const [release, percent] of Object.entries(weights ?? {})) weight.lines.push(sample(weight.name, { service, release }, percent));
    const byRelease = new Map<string, { serving: number; unhealthy: number; draining: number; inFlight: number }>();
    for (const target of states) {
      let entry = byRelease.get(target.release);
      if (!entry) {
        entry = { serving: 0, unhealthy: 0, draining: 0, inFlight: 0 };
        byRelease.set(target.release, entry);
      }
      if (target.draining) entry.draining++;
      else if (target.healthy) entry.serving++;
      else entry.unhealthy++;
      entry.inFlight += target.inFlight;
    }
    for (const [release, entry] of byRelease) {
      for (const state of ['serving', 'unhealthy', 'draining'] as const)
        targets.lines.push(sample(targets.name, { service, release, state }, entry[state]));
      inFlight.lines.push(sample(inFlight.name, { service, release }, entry.inFlight));
    }
  }
  return families
    .filter((f) => f.lines.length > 0)
    .map((f) => `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n${f.lines.join('\n')}\n`)
    .join('');
}

function family(name: string, type: Family['type'], help: string): Family {
  return { name, type, help, lines: [] };
}

function sample(name: string, labels: Record<string, string>, value: number): string {
  const text = Object.entries(labels)
    .map(([key, v]) => `${key}="${escapeLabel(v)}"`)
    .join(',');
  return `${name}{${text}} ${formatValue(value)}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(value);
}
