import type { ServiceMetrics } from '../metrics/service-metrics.ts';
import { ServiceKitError } from '../service-kit-error.ts';

export interface BulkheadOptions {
  /** Label in metrics and rejections (the downstream: `postgres`, `webhooks`, `card-issuer`). */
  name: string;
  /** Calls allowed to run at once. */
  maxConcurrent: number;
  /** Calls allowed to wait for a slot; default 0 (reject as soon as all slots are busy). */
  maxQueue?: number;
  /** Per-call limit covering wait and run; the call's signal is aborted when it passes; default none. */
  timeoutMs?: number;
  /** Count rejections and expose active/queued gauges here. */
  metrics?: ServiceMetrics;
}

export type BulkheadRejectionReason = 'full' | 'timeout';

export type BulkheadResult<T> = { ok: true; value: T } | { ok: false; reason: BulkheadRejectionReason; bulkhead: string };

export interface Bulkhead {
  readonly name: string;
  readonly active: number;
  readonly queued: number;
  /**
   * Run `fn` when a slot is free. A full bulkhead or a passed time limit is a value
   * (`ok: false`), not an exception; an exception thrown by `fn` propagates. After a timeout
   * the slot stays taken until `fn` settles, so abandoned calls cannot exceed `maxConcurrent`.
   */
  run<T>(fn: (signal: AbortSignal) => Promise<T>, options?: { timeoutMs?: number }): Promise<BulkheadResult<T>>;
}

interface Waiter {
  admit(): void;
}

export function createBulkhead(options: BulkheadOptions): Bulkhead {
  const maxQueue = options.maxQueue ?? 0;
  if (!Number.isInteger(options.maxConcurrent) || options.maxConcurrent < 1 || !Number.isInteger(maxQueue) || maxQueue < 0) {
    throw new ServiceKitError(
      'SVC_ERR_OPTIONS_INVALID',
      `bulkhead ${options.name}: maxConcurrent must be an integer >= 1 and maxQueue >= 0`,
      {
        where: `bulkhead ${options.name}`,
        hint: 'Pass e.g. { maxConcurrent: 10, maxQueue: 20 }.',
      },
    );
  }
  const name = options.name;
  const metrics = options.metrics;
  const queue: Waiter[] = [];
  let active = 0;

  const publish = () => {
    metrics?.bulkheadActive.set({ bulkhead: name }, active);
    metrics?.bulkheadQueued.set({ bulkhead: name }, queue.length);
  };
  const reject = (reason: BulkheadRejectionReason) => {
    metrics?.bulkheadRejectionsTotal.inc({ bulkhead: name, reason });
    return { ok: false as const, reason, bulkhead: name };
  };
  const release = () => {
    active--;
    const next = queue.shift();
    if (next) {
      active++;
      next.admit();
    }
    publish();
  };

  return {
    name,
    get active() {
      return active;
    },
    get queued() {
      return queue.length;
    },
    async run<T>(fn: (signal: AbortSignal) => Promise<T>, callOptions: { timeoutMs?: number } = {}): Promise<BulkheadResult<T>> {
      if (active >= options.maxConcurrent && queue.length >= maxQueue) return reject('full');
      const controller = new AbortController();
      const timeoutMs = callOptions.timeoutMs ?? options.timeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        if (timeoutMs === undefined) return;
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      try {
        if (active < options.maxConcurrent) {
          active++;
        } else {
          let waiter: Waiter | undefined;
          const admitted = new Promise<'admitted'>((resolve) => {
            waiter = { admit: () => resolve('admitted') };
          });
          queue.push(waiter!);
          publish();
          if ((await Promise.race([admitted, timedOut])) === 'timeout') {
            const index = queue.indexOf(waiter!);
            if (index >= 0) {
              queue.splice(index, 1);
              publish();
              return reject('timeout');
            }
            // Admitted in the same tick the timer fired: the slot is ours, give it back.
            release();
            return reject('timeout');
          }
        }
        publish();
        const running = Promise.resolve().then(() => fn(controller.signal));
        running.then(release, release);
        const outcome = await Promise.race([running.then((value) => ({ value })), timedOut]);
        if (outcome === 'timeout') {
          controller.abort(new Error(`bulkhead ${name}: call timed out after ${timeoutMs} ms`));
          running.catch(() => {});
          return reject('timeout');
        }
        return { ok: true, value: outcome.value };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
