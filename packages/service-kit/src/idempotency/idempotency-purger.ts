import type { Logger } from 'pino';
import type { IdempotencyStore } from './idempotency-store.ts';

/** How often expired idempotency keys are deleted. */
export const DEFAULT_IDEMPOTENCY_PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Run `store.purgeExpired()` every `intervalMs` (default hourly). Every instance may run it: the
 * DELETE is idempotent. Lookups already ignore expired keys, so purging only bounds table size.
 * Returns a stop function.
 */
export function startIdempotencyPurger(store: IdempotencyStore, options: { intervalMs?: number; logger?: Logger } = {}): () => void {
  const intervalMs = options.intervalMs ?? DEFAULT_IDEMPOTENCY_PURGE_INTERVAL_MS;
  const timer = setInterval(() => {
    store.purgeExpired().then(
      (deleted) => {
        if (deleted > 0) options.logger?.info({ deleted }, 'purged expired idempotency keys');
      },
      (error: unknown) => options.logger?.warn({ err: error }, 'idempotency purge failed'),
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
