import type { TimeWindow } from './latency-summary.ts';
import type { LoadSample } from './open-loop-load.ts';

/** A request this slow (or slower) is part of the tail this report locates. */
export const SLOW_MS = 100;
/** The tail is counted in spans this long, from the start or the end of each deploy. */
const BUCKET_MS = 250;
/** Keeps the results file readable: at most this many tail requests are listed one by one. */
const MAX_TAIL_REQUESTS = 1000;

export interface SlowBucket {
  /** `before the first deploy`, `in deploy N` (from its start) or `after deploy N` (from its end). */
  phase: string;
  /** Start of the span, in ms from the phase's reference point. */
  fromMs: number;
  slow: number;
  maxMs: number;
}

/** One successful request of the tail, placed in its phase. */
export interface TailRequest {
  phase: string;
  /** When it was sent, in ms from the phase's reference point (see SlowBucket.phase). */
  sinceMs: number;
  latencyMs: number;
  freshConnection: boolean;
}

/** Which phase a request sent at `sentAt` belongs to, and how long after that phase's reference point it was sent. */
function phaseOf(sentAt: number, windows: TimeWindow[], loadStart: number): { phase: string; since: number } {
  const index = windows.findLastIndex((w) => w.start <= sentAt);
  if (index < 0) return { phase: 'before the first deploy', since: sentAt - loadStart };
  if (sentAt <= windows[index].end) return { phase: `in deploy ${index + 1}`, since: sentAt - windows[index].start };
  return { phase: `after deploy ${index + 1}`, since: sentAt - windows[index].end };
}

/**
 * Where the latency tail sits: the successful requests of `minMs` (SLOW_MS by default) or more,
 * counted per 250 ms span of each phase (before the first deploy: from the load's start; in a
 * deploy: from its start; after a deploy: from its end), the spans with the most slow requests
 * first. A tail right after `up`, inside the deploys or after them points at different causes.
 */
export function locateSlowRequests(samples: LoadSample[], windows: TimeWindow[], top = 8, minMs = SLOW_MS): SlowBucket[] {
  const buckets = new Map<string, SlowBucket>();
  const loadStart = samples[0]?.sentAt ?? 0;
  for (const sample of samples) {
    if (sample.outcome !== 'ok' || sample.latencyMs < minMs) continue;
    const { phase, since } = phaseOf(sample.sentAt, windows, loadStart);
    const fromMs = Math.floor(since / BUCKET_MS) * BUCKET_MS;
    const key = `${phase}@${fromMs}`;
    const bucket = buckets.get(key) ?? { phase, fromMs, slow: 0, maxMs: 0 };
    bucket.slow++;
    bucket.maxMs = Math.max(bucket.maxMs, Math.round(sample.latencyMs));
    buckets.set(key, bucket);
  }
  return [...buckets.values()].sort((a, b) => b.slow - a.slow).slice(0, top);
}

/** Every successful request of `minMs` or more (in send order, at most MAX_TAIL_REQUESTS), each with its phase and time. */
export function listTailRequests(samples: LoadSample[], windows: TimeWindow[], minMs: number): TailRequest[] {
  const loadStart = samples[0]?.sentAt ?? 0;
  const tail: TailRequest[] = [];
  for (const sample of samples) {
    if (sample.outcome !== 'ok' || sample.latencyMs < minMs) continue;
    const { phase, since } = phaseOf(sample.sentAt, windows, loadStart);
    tail.push({
      phase,
      sinceMs: Math.round(since),
      latencyMs: Math.round(sample.latencyMs * 10) / 10,
      freshConnection: sample.freshConnection,
    });
    if (tail.length >= MAX_TAIL_REQUESTS) break;
  }
  return tail;
}

export function describeSlowBuckets(buckets: SlowBucket[], minMs = SLOW_MS): string {
  if (buckets.length === 0) return `no request of ${minMs} ms or more`;
  return buckets.map((b) => `${b.phase} +${b.fromMs}-${b.fromMs + BUCKET_MS} ms: ${b.slow} (max ${b.maxMs} ms)`).join('; ');
}
