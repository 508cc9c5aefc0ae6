import { resolve } from 'node:path';
import { loadConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { MONITORING_DEFAULTS, type MonitoringInput } from '../monitoring/monitoring-options.ts';
import { writeMonitoring } from '../monitoring/write-monitoring.ts';
import { parseDurationMs } from '../shared/duration.ts';
import type { Command } from './command.ts';

export const monitoringCommand: Command = {
  name: 'monitoring',
  summary: 'write a Prometheus scrape config, alert rules and a Grafana dashboard for the service of cutover.yml',
  usage:
    'cutover monitoring [--out DIR] [--error-rate R] [--latency-p95 DURATION] [--restarts N] [--stuck-after DURATION] [--scrape-interval DURATION]',
  description: [
    'Generates, from cutover.yml, what a Prometheus and a Grafana need to watch the service and its deployments:',
    '  prometheus.yml          scrapes the agent (agent.metricsPort: proxy counters, instances, what the',
    '                          controller decided) and the instances, found through the agent (/sd/instances)',
    '  cutover-alerts.yml      service down, error rate, latency, restarts, a deployment stuck or failed',
    '  grafana-dashboard.json  traffic, errors and latency by release, weights, instances, deployments, analysis',
    'Regenerate after changing cutover.yml rather than editing the files.',
  ].join('\n'),
  options: {
    out: { type: 'string', short: 'o', help: 'directory to write into (default ./monitoring)' },
    'error-rate': { type: 'string', help: `share of 5xx answers that alerts (default ${MONITORING_DEFAULTS.errorRate})` },
    'latency-p95': { type: 'string', help: `p95 latency that alerts (default ${MONITORING_DEFAULTS.latencyP95Seconds}s)` },
    restarts: { type: 'string', help: `restarts of an instance in 15 minutes that alert (default ${MONITORING_DEFAULTS.restarts})` },
    'stuck-after': { type: 'string', help: 'how long a deployment may run before it alerts (default 1h, or twice the canary pauses)' },
    'scrape-interval': { type: 'string', help: `how often Prometheus scrapes (default ${MONITORING_DEFAULTS.scrapeIntervalSeconds}s)` },
    'instance-metrics-path': { type: 'string', help: 'path the instances serve their metrics on (default /metrics)' },
  },
  exitCodes: {},
  async run({ options, out, cwd }) {
    const loaded = loadConfig(cwd, options.config as string | undefined);
    const config = loaded.config;
    const metricsPort = config.agent.metricsPort;
    if (metricsPort === undefined || metricsPort === 0) {
      throw new CutoverError('CUT_ERR_MONITORING_NO_METRICS_PORT', 'cutover.yml sets no fixed agent.metricsPort for Prometheus to scrape', {
        where: `${loaded.file}: agent.metricsPort`,
        hint: 'add "agent: { metricsPort: 9464 }" (any free port) to cutover.yml, restart the agent, then run this again',
      });
    }
    const input: MonitoringInput = {
      service: config.service,
      metricsPort,
      instanceMetricsPath: (options['instance-metrics-path'] as string | undefined) ?? MONITORING_DEFAULTS.instanceMetricsPath,
      errorRate: numberOption(options, 'error-rate', MONITORING_DEFAULTS.errorRate, (n) => n > 0 && n <= 1),
      latencyP95Seconds: durationOption(options, 'latency-p95', MONITORING_DEFAULTS.latencyP95Seconds * 1000) / 1000,
      restarts: numberOption(options, 'restarts', MONITORING_DEFAULTS.restarts, (n) => Number.isInteger(n) && n >= 1),
      stuckSeconds: durationOption(options, 'stuck-after', defaultStuckMs(config.rollout)) / 1000,
      scrapeIntervalSeconds: Math.max(
        1,
        Math.round(durationOption(options, 'scrape-interval', MONITORING_DEFAULTS.scrapeIntervalSeconds * 1000) / 1000),
      ),
    };
    const dir = resolve(cwd, (options.out as string | undefined) ?? 'monitoring');
    const files = writeMonitoring(dir, input);
    out.result({
      service: input.service,
      files,
      thresholds: {
        errorRate: input.errorRate,
        latencyP95Seconds: input.latencyP95Seconds,
        restarts: input.restarts,
        stuckSeconds: input.stuckSeconds,
      },
    });
    out.line(`wrote ${files.scrapeConfig}`);
    out.line(`wrote ${files.alertRules}`);
    out.line(`wrote ${files.grafanaDashboard}`);
    out.line(`check them with: promtool check config ${files.scrapeConfig}`);
    return 0;
  },
};

/** A deployment counts as stuck after 1 h, or after twice its canary's timed pauses when longer. */
function defaultStuckMs(rollout: unknown): number {
  const steps = (rollout as { steps?: { pause?: { durationMs?: number; timeoutMs?: number } }[] }).steps ?? [];
  const pauses = steps.reduce((sum, step) => sum + (step.pause?.durationMs ?? step.pause?.timeoutMs ?? 0), 0);
  return Math.max(MONITORING_DEFAULTS.stuckSeconds * 1000, pauses * 2);
}

function numberOption(options: Record<string, unknown>, name: string, fallback: number, valid: (n: number) => boolean): number {
  const raw = options[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !valid(value))
    throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `--${name} got ${String(raw)}, which is out of range`, {
      hint: `see "cutover monitoring --help" for --${name}`,
    });
  return value;
}

function durationOption(options: Record<string, unknown>, name: string, fallbackMs: number): number {
  const raw = options[name];
  if (raw === undefined) return fallbackMs;
  const value = parseDurationMs(String(raw));
  if (value === undefined || value <= 0)
    throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `--${name} must be a duration such as 500ms, 30s or 2m (got ${String(raw)})`, {
      hint: `see "cutover monitoring --help"`,
    });
  return value;
}
