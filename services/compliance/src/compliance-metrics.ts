import { getHeapStatistics } from 'node:v8';
import type { Service } from '@cutover/service-kit';
import type pg from 'pg';

/** The error rate on /metrics is measured over this trailing window. */
export const ERROR_RATE_WINDOW_MS = 60_000;
const BUCKET_MS = 5_000;

export interface ComplianceMetrics {
  redisConnectionErrors: { inc(): void };
  databaseConnectionErrors: { inc(): void };
  screeningDurationSeconds: { observe(seconds: number): void };
  screeningsTotal: { inc(labels: { status: string }): void };
}

/**
 * The guide's metrics beside the kit's request metrics: `database_connection_pool_size` (with
 * `state` total/idle/waiting and the configured `max`), `redis_connection_errors`, and
 * `http_error_rate` (5xx share of the requests of the last minute, what the error-rate alerts read).
 */
export function registerComplianceMetrics(service: Service, pool: pg.Pool, poolMax: number): ComplianceMetrics {
  const buckets: { at: number; total: number; errors: number }[] = [];
  service.app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url === '/metrics' || request.url.startsWith('/health')) return;
    const at = Math.floor(Date.now() / BUCKET_MS) * BUCKET_MS;
    let bucket = buckets.at(-1);
    if (!bucket || bucket.at !== at) {
      bucket = { at, total: 0, errors: 0 };
      buckets.push(bucket);
      while (buckets.length > 0 && buckets[0].at <= at - ERROR_RATE_WINDOW_MS) buckets.shift();
    }
    bucket.total++;
    if (reply.statusCode >= 500) bucket.errors++;
  });
  const poolGauge = service.metrics.gauge(
    'database_connection_pool_size',
    'PostgreSQL pool connections by state (max: the configured size)',
    ['state'],
  );
  const errorRate = service.metrics.gauge('http_error_rate', 'Share of 5xx answers over the last minute (0-1)');
  const memory = service.metrics.gauge('memory_usage_ratio', 'V8 heap used over the heap limit (0-1): the memory alert reads it');
  const heapLimit = getHeapStatistics().heap_size_limit;
  const collect = () => {
    poolGauge.set({ state: 'total' }, pool.totalCount);
    poolGauge.set({ state: 'idle' }, pool.idleCount);
    poolGauge.set({ state: 'waiting' }, pool.waitingCount);
    poolGauge.set({ state: 'max' }, poolMax);
    const since = Date.now() - ERROR_RATE_WINDOW_MS;
    let total = 0;
    let errors = 0;
    for (const bucket of buckets) {
      if (bucket.at < since) continue;
      total += bucket.total;
      errors += bucket.errors;
    }
    errorRate.set(total === 0 ? 0 : errors / total);
    memory.set(process.memoryUsage().heapUsed / heapLimit);
  };
  service.app.addHook('onRequest', async (request) => {
    if (request.url === '/metrics') collect();
  });
  return {
    redisConnectionErrors: service.metrics.counter('redis_connection_errors', 'Redis connection errors since start'),
    databaseConnectionErrors: service.metrics.counter('database_connection_errors_total', 'PostgreSQL connections that failed or broke'),
    screeningDurationSeconds: service.metrics.histogram(
      'sanctions_screening_duration_seconds',
      'Time to screen one name against the list',
      [],
      [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05],
    ),
    screeningsTotal: service.metrics.counter('sanctions_screenings_total', 'Screenings by outcome', ['status']),
  };
}
