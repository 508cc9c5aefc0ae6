import { type ELDHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** How often pressure is re-evaluated. */
export const DEFAULT_SAMPLE_INTERVAL_MS = 500;
/** `Retry-After` sent with a shed request (the value @fastify/under-pressure uses). */
export const DEFAULT_RETRY_AFTER_SECONDS = 10;
const HISTOGRAM_RESOLUTION_MS = 10;

export interface LoadShedderOptions {
  /** Shed when the event-loop delay exceeds this (ms); default 0 = check off. */
  maxEventLoopDelayMs?: number;
  /** Shed when V8 heap used exceeds this; default 0 = check off. */
  maxHeapUsedBytes?: number;
  /** Shed when resident set size exceeds this; default 0 = check off. */
  maxRssBytes?: number;
  /** Re-evaluation period; default `DEFAULT_SAMPLE_INTERVAL_MS` (500). */
  sampleIntervalMs?: number;
  /** Seconds in `Retry-After`; default `DEFAULT_RETRY_AFTER_SECONDS` (10). */
  retryAfterSeconds?: number;
}

export type PressureReason = 'eventLoopDelay' | 'heapUsed' | 'rss';

export type Pressure = { underPressure: false } | { underPressure: true; reason: PressureReason; value: number; limit: number };

export interface PressureReadings {
  eventLoopDelayMs: number;
  heapUsedBytes: number;
  rssBytes: number;
}

export interface LoadShedder {
  readonly retryAfterSeconds: number;
  /** The verdict of the last sample (cheap: called on every request). */
  pressure(): Pressure;
  readings(): PressureReadings;
  /** Take a sample now (also done every `sampleIntervalMs` once started). */
  sample(): Pressure;
  start(): void;
  stop(): void;
}

/**
 * Decides whether to shed, from three thresholds that are all off unless set. The event-loop
 * delay is the larger of the p99 of `monitorEventLoopDelay` over the last window and the lateness
 * of the sampler's own timer: after one long synchronous block the timer fires late before any
 * queued socket is read, so requests that waited behind the block are the ones refused.
 */
export function createLoadShedder(options: LoadShedderOptions = {}): LoadShedder {
  const maxDelayMs = options.maxEventLoopDelayMs ?? 0;
  const maxHeap = options.maxHeapUsedBytes ?? 0;
  const maxRss = options.maxRssBytes ?? 0;
  const intervalMs = options.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS;
  let histogram: ELDHistogram | undefined;
  let timer: NodeJS.Timeout | undefined;
  let scheduledAt = 0;
  let current: Pressure = { underPressure: false };
  let last: PressureReadings = { eventLoopDelayMs: 0, heapUsedBytes: 0, rssBytes: 0 };

  const evaluate = (timerLagMs: number): Pressure => {
    const p99Ms = histogram && histogram.count > 0 ? histogram.percentile(99) / 1e6 - HISTOGRAM_RESOLUTION_MS : 0;
    histogram?.reset();
    const memory = maxHeap > 0 || maxRss > 0 ? process.memoryUsage() : { heapUsed: 0, rss: 0 };
    last = { eventLoopDelayMs: Math.max(0, Math.round(Math.max(p99Ms, timerLagMs))), heapUsedBytes: memory.heapUsed, rssBytes: memory.rss };
    if (maxDelayMs > 0 && last.eventLoopDelayMs > maxDelayMs) {
      current = { underPressure: true, reason: 'eventLoopDelay', value: last.eventLoopDelayMs, limit: maxDelayMs };
    } else if (maxHeap > 0 && last.heapUsedBytes > maxHeap) {
      current = { underPressure: true, reason: 'heapUsed', value: last.heapUsedBytes, limit: maxHeap };
    } else if (maxRss > 0 && last.rssBytes > maxRss) {
      current = { underPressure: true, reason: 'rss', value: last.rssBytes, limit: maxRss };
    } else {
      current = { underPressure: false };
    }
    return current;
  };

  const schedule = () => {
    scheduledAt = performance.now() + intervalMs;
    timer = setTimeout(() => {
      evaluate(performance.now() - scheduledAt);
      schedule();
    }, intervalMs);
    timer.unref();
  };

  return {
    retryAfterSeconds: options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
    pressure: () => current,
    readings: () => last,
    sample: () => evaluate(0),
    start() {
      if (timer) return;
      if (maxDelayMs > 0) {
        histogram = monitorEventLoopDelay({ resolution: HISTOGRAM_RESOLUTION_MS });
        histogram.enable();
      }
      schedule();
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
      histogram?.disable();
      histogram = undefined;
      current = { underPressure: false };
    },
  };
}
