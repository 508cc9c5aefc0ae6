import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Request-duration buckets (seconds): prom-client defaults plus edges around a 100 ms SLO. */
export const HTTP_DURATION_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10];

/** Route label for requests that matched no route (404s), keeping label cardinality bounded. */
export const UNMATCHED_ROUTE = '<unmatched>';

export interface ServiceMetricsOptions {
  /** Added as the `service` label on every series. */
  serviceName: string;
  /** Use this registry instead of a new one. */
  registry?: Registry;
  /** Collect prom-client's default process metrics; default true. */
  defaultMetrics?: boolean;
}

/**
 * The metrics every service exposes, in a registry of its own (two services in one test process
 * do not collide). Services add theirs with `counter`/`gauge`/`histogram`, or directly on `registry`.
 */
export interface ServiceMetrics {
  readonly registry: Registry;
  readonly httpRequestsTotal: Counter<'method' | 'route' | 'status_code'>;
  readonly httpRequestDurationSeconds: Histogram<'method' | 'route' | 'status_code'>;
  readonly shedRequestsTotal: Counter<'reason'>;
  readonly bulkheadRejectionsTotal: Counter<'bulkhead' | 'reason'>;
  readonly bulkheadActive: Gauge<'bulkhead'>;
  readonly bulkheadQueued: Gauge<'bulkhead'>;
  readonly idempotencyOutcomesTotal: Counter<'outcome'>;
  counter<L extends string>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  gauge<L extends string>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>;
  histogram<L extends string>(name: string, help: string, labelNames?: readonly L[], buckets?: readonly number[]): Histogram<L>;
  /** Prometheus text exposition. */
  render(): Promise<string>;
  readonly contentType: string;
}

export function createServiceMetrics(options: ServiceMetricsOptions): ServiceMetrics {
  const registry = options.registry ?? new Registry();
  registry.setDefaultLabels({ service: options.serviceName });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets: readonly number[] = HTTP_DURATION_BUCKETS_SECONDS,
  ) => new Histogram<L>({ name, help, labelNames, buckets: [...buckets], registers });
  return {
    registry,
    httpRequestsTotal: counter('http_requests_total', 'HTTP requests completed, by route template', ['method', 'route', 'status_code']),
    httpRequestDurationSeconds: histogram('http_request_duration_seconds', 'HTTP request duration, by route template', [
      'method',
      'route',
      'status_code',
    ]),
    shedRequestsTotal: counter('http_requests_shed_total', 'Requests refused with 503 by the load shedder', ['reason']),
    bulkheadRejectionsTotal: counter('bulkhead_rejections_total', 'Calls refused by a bulkhead (full or timed out)', [
      'bulkhead',
      'reason',
    ]),
    bulkheadActive: gauge('bulkhead_active_calls', 'Calls running inside a bulkhead', ['bulkhead']),
    bulkheadQueued: gauge('bulkhead_queued_calls', 'Calls waiting for a bulkhead slot', ['bulkhead']),
    idempotencyOutcomesTotal: counter('idempotency_requests_total', 'Idempotent requests by outcome', ['outcome']),
    counter,
    gauge,
    histogram,
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
