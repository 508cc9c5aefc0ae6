import type { CountersSnapshot, LatencySample, StatusClass } from './proxy-types.ts';

/** Upper bounds of the latency histogram, in ms; a last +Inf bucket catches the rest. */
export const LATENCY_BUCKET_BOUNDS_MS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** Recent samples kept per release for canary analysis. */
export const DEFAULT_SAMPLE_CAPACITY = 10_000;

const STATUS_CLASSES: readonly StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/**
 * Cumulative counters of one release plus a ring buffer of its latest samples. Typed arrays keep
 * recording allocation-free: it runs once per proxied request.
 */
export class ReleaseCounters {
  #requests = 0;
  #proxyErrors = 0;
  #timeouts = 0;
  #latencySumMs = 0;
  readonly #byClass = new Float64Array(5);
  /** Per-bucket (not cumulative) counts; the snapshot accumulates them. */
  readonly #buckets = new Float64Array(LATENCY_BUCKET_BOUNDS_MS.length + 1);
  readonly #capacity: number;
  readonly #atMs: Float64Array;
  readonly #latencyMs: Float64Array;
  readonly #status: Uint16Array;
  #next = 0;
  #size = 0;

  constructor(sampleCapacity = DEFAULT_SAMPLE_CAPACITY) {
    this.#capacity = sampleCapacity;
    this.#atMs = new Float64Array(sampleCapacity);
    this.#latencyMs = new Float64Array(sampleCapacity);
    this.#status = new Uint16Array(sampleCapacity);
  }

  record(status: number, latencyMs: number, atMs: number, proxyError: boolean, timedOut = false): void {
    this.#requests++;
    if (proxyError) this.#proxyErrors++;
    if (timedOut) this.#timeouts++;
    this.#latencySumMs += latencyMs;
    const statusClass = Math.trunc(status / 100) - 1;
    if (statusClass >= 0 && statusClass < 5) this.#byClass[statusClass]++;
    this.#buckets[bucketIndex(latencyMs)]++;
    const slot = this.#next;
    this.#atMs[slot] = atMs;
    this.#latencyMs[slot] = latencyMs;
    this.#status[slot] = status;
    this.#next = slot + 1 === this.#capacity ? 0 : slot + 1;
    if (this.#size < this.#capacity) this.#size++;
  }

  snapshot(): CountersSnapshot {
    const byStatusClass = {} as Record<StatusClass, number>;
    STATUS_CLASSES.forEach((name, index) => {
      byStatusClass[name] = this.#byClass[index];
    });
    let cumulative = 0;
    const latencyBucketsMs = [...LATENCY_BUCKET_BOUNDS_MS, Number.POSITIVE_INFINITY].map((le, index) => {
      cumulative += this.#buckets[index];
      return { le, count: cumulative };
    });
    return {
      requests: this.#requests,
      byStatusClass,
      proxyErrors: this.#proxyErrors,
      timeouts: this.#timeouts,
      latencyBucketsMs,
      latencySumMs: this.#latencySumMs,
    };
  }

  /** Samples that finished at or after `sinceMs` (epoch ms), oldest first. */
  samples(sinceMs = 0): LatencySample[] {
    const result: LatencySample[] = [];
    const start = this.#size < this.#capacity ? 0 : this.#next;
    for (let i = 0; i < this.#size; i++) {
      const slot = (start + i) % this.#capacity;
      if (this.#atMs[slot] >= sinceMs)
        result.push({ atMs: this.#atMs[slot], latencyMs: this.#latencyMs[slot], status: this.#status[slot] });
    }
    return result;
  }
}

function bucketIndex(latencyMs: number): number {
  const bounds = LATENCY_BUCKET_BOUNDS_MS;
  for (let i = 0; i < bounds.length; i++) {
    if (latencyMs <= bounds[i]) return i;
  }
  return bounds.length;
}
