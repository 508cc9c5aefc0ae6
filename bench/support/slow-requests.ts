import type { TimeWindow } from './latency-summary.ts';
import type { LoadSample } from './open-loop-load.ts';

/** A request this slow (or slower) is part of the tail this report locates. */
export const SLOW_MS = 100;
/** The tail is counted in spans this long, from the start or the end of each deploy. */
const BUCKET_MS = 250;

export interface SlowBucket {
  /** `before the first deploy`, `in deploy N` (from its start) or `after deploy N` (from its end). */
  phase: string;
  /** Start of the span, in ms from the phase's reference point. */
  fromMs: number;
  slow: number;
  maxMs: number;
}

/**
 * Where the latency tail sits: the successful requests of SLOW_MS or more, counted per 250 ms span
 * of each phase (before the first deploy: from the load's start; in a deploy: from its start;
 * after a deploy: from its end), the spans with the most slow requests first. A tail right after
 * `up`, inside the deploys or after them points at different causes.
 */
export function locateSlowRequests(samples: LoadSample[], windows: TimeWindow[], top = 8): SlowBucket[] {
  const buckets = new Map<string, SlowBucket>();
  const loadStart = samples[0]?.sentAt ?? 0;
  for (const sample of samples) {
    if (sample.outcome !== 'ok' || sample.latencyMs < SLOW_MS) continue;
    const index = windows.findLastIndex((w) => w.start <= sample.sentAt);
    let phase: string;
    let since: number;
    if (index < 0) {
      phase = 'before the first deploy';
      since = sample.sentAt - loadStart;
    } else if (sample.sentAt <= windows[index].end) {
      phase = `in deploy ${index + 1}`;
      since = sample.sentAt - windows[index].start;
    } else {
      phase = `after deploy ${index + 1}`;
      since = sample.sentAt - windows[index].end;
    }
    const fromMs = Math.floor(since / BUCKET_MS) * BUCKET_MS;
    const key = `${phase}@${fromMs}`;
    const bucket = buckets.get(key) ?? { phase, fromMs, slow: 0, maxMs: 0 };
    bucket.slow++;
    bucket.maxMs = Math.max(bucket.maxMs, Math.round(sample.latencyMs));
    buckets.set(key, bucket);
  }
  return [...buckets.values()].sort((a, b) => b.slow - a.slow).slice(0, top);
}

export function describeSlowBuckets(buckets: SlowBucket[]): string {
  if (buckets.length === 0) return `no request of ${SLOW_MS} ms or more`;
  return buckets.map((b) => `${b.phase} +${b.fromMs}-${b.fromMs + BUCKET_MS} ms: ${b.slow} (max ${b.maxMs} ms)`).join('; ');
}
