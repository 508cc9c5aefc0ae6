import type { ServiceMetrics } from '@cutover/service-kit';
import type pg from 'pg';
import { Gauge } from 'prom-client';

/** The service's own series, including those the guide's alert rules read. */
export interface SerializationMetrics {
  serialsGenerated: { inc(labels: { pattern: string }, value?: number): void };
  vendorSerialsReceived: { inc(labels: { outcome: string }): void };
  uniquenessConflicts: { inc(labels: { scope: string; source: string }): void };
  placeholdersResolved: { inc(labels: { source: string; outcome: string }): void };
  triggerExecutions: { inc(labels: { action: string; outcome: string }): void };
  genealogyLinks: { inc(labels: { outcome: string }): void };
  httpErrors: { inc(labels: { method: string; route: string; status_code: string }): void };
}

/** Buckets of db_query_duration_seconds: the SlowQueries alert reads le="1". */
export const DB_QUERY_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Pool gauges (db_pool_active, db_pool_idle, db_pool_waiting, db_pool_max, read at scrape time),
 * db_query_duration_seconds for every query of the pool's clients, and http_request_errors_total
 * (5xx answers) next to the kit's http_requests_total.
 */
export function registerSerializationMetrics(metrics: ServiceMetrics, pool: pg.Pool, poolMax: number): SerializationMetrics {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [metrics.registry],
      // Read at every scrape.
      collect() {
        this.set(read());
      },
    });
  gauge('db_pool_active', 'PostgreSQL connections of the pool in use', () => pool.totalCount - pool.idleCount);
  gauge('db_pool_idle', 'PostgreSQL connections of the pool idle', () => pool.idleCount);
  gauge('db_pool_waiting', 'Queries waiting for a pool connection', () => pool.waitingCount);
  gauge('db_pool_max', 'Largest pool size (DB_POOL_SIZE)', () => poolMax);
  const queryDuration = metrics.histogram('db_query_duration_seconds', 'PostgreSQL query duration', [], DB_QUERY_BUCKETS_SECONDS);
  pool.on('connect', (client) => {
    const original = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const result = original(...args);
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        const end = queryDuration.startTimer();
        (result as Promise<unknown>).then(
          () => end(),
          () => end(),
        );
      }
      return result;
    };
  });
  return {
    serialsGenerated: metrics.counter('serials_generated_total', 'System serials generated, by pattern', ['pattern']),
    vendorSerialsReceived: metrics.counter('vendor_serials_received_total', 'Vendor serial receipts, by outcome', ['outcome']),
    uniquenessConflicts: metrics.counter('serial_uniqueness_conflicts_total', 'Duplicates refused in scope', ['scope', 'source']),
    placeholdersResolved: metrics.counter('placeholders_resolved_total', 'Placeholder resolutions, by source and outcome', [
      'source',
      'outcome',
    ]),
    triggerExecutions: metrics.counter('trigger_executions_total', 'Assignment trigger executions', ['action', 'outcome']),
    genealogyLinks: metrics.counter('genealogy_links_total', 'Genealogy link requests, by outcome', ['outcome']),
    httpErrors: metrics.counter('http_request_errors_total', 'Requests answered with a 5xx status', ['method', 'route', 'status_code']),
  };
}
