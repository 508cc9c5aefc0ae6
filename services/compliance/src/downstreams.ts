import type { Bulkhead, BulkheadResult, Service } from '@cutover/service-kit';

/** Bulkhead sizes per downstream (BULKHEAD_PATTERN): a slow webhook target cannot take the database's share. */
export const BULKHEAD_LIMITS = {
  postgres: { maxConcurrent: 8, maxQueue: 64, timeoutMs: 5_000 },
  documents: { maxConcurrent: 4, maxQueue: 8, timeoutMs: 60_000 },
  webhooks: { maxConcurrent: 4, maxQueue: 16, timeoutMs: 20_000 },
  redis: { maxConcurrent: 16, maxQueue: 64, timeoutMs: 2_000 },
} as const;

export type DownstreamName = keyof typeof BULKHEAD_LIMITS;

/** Runs a call to one downstream, inside its bulkhead when the flag is on; a rejection is a value. */
export interface Downstreams {
  readonly enabled: boolean;
  run<T>(name: DownstreamName, fn: (signal: AbortSignal) => Promise<T>): Promise<BulkheadResult<T>>;
}

export function createDownstreams(service: Service, enabled: boolean): Downstreams {
  const bulkheads = new Map<DownstreamName, Bulkhead>();
  if (enabled) {
    for (const [name, limits] of Object.entries(BULKHEAD_LIMITS) as [DownstreamName, (typeof BULKHEAD_LIMITS)[DownstreamName]][]) {
      bulkheads.set(name, service.bulkhead({ name, ...limits }));
    }
  }
  return {
    enabled,
    async run(name, fn) {
      const bulkhead = bulkheads.get(name);
      if (bulkhead) return bulkhead.run(fn);
      return { ok: true, value: await fn(new AbortController().signal) };
    },
  };
}
