import type { LatencyBucket, LatencySample } from './proxy-types.ts';

/**
 * The q-quantile (0 ≤ q ≤ 1; 0.99 for p99) of latencies, in ms; null when there is no data.
 * - Cumulative buckets: interpolated linearly inside the bucket holding the rank (as Prometheus'
 *   histogram_quantile does); a rank in the +Inf bucket yields the highest finite bound.
 * - Samples or plain numbers: exact, interpolating between the two closest ranks.
 */
export function percentile(data: readonly LatencyBucket[] | readonly LatencySample[] | readonly number[], q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`percentile: q must be between 0 and 1, got ${q}`);
  if (data.length === 0) return null;
  const first = data[0];
  if (typeof first === 'object' && 'le' in first) return fromBuckets(data as readonly LatencyBucket[], q);
  const values = typeof first === 'number' ? [...(data as readonly number[])] : (data as readonly LatencySample[]).map((s) => s.latencyMs);
  return fromValues(values, q);
}

function fromValues(values: number[], q: number): number {
  values.sort((a, b) => a - b);
  const position = q * (values.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return values[lower] + (values[upper] - values[lower]) * (position - lower);
}

function fromBuckets(buckets: readonly LatencyBucket[], q: number): number | null {
  const total = buckets[buckets.length - 1].count;
  if (total === 0) return null;
  const rank = q * total;
  let previousLe = 0;
  let previousCount = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank && bucket.count > previousCount) {
      // JSON turns the +Inf bound into null: treat any non-finite bound as +Inf.
      if (!Number.isFinite(bucket.le)) return previousLe;
      return previousLe + ((bucket.le - previousLe) * (rank - previousCount)) / (bucket.count - previousCount);
    }
    previousLe = bucket.le;
    previousCount = bucket.count;
  }
  return previousLe;
}
