import type { AnalysisClock } from '../../src/analysis/analysis-clock.ts';

export interface VirtualClock extends AnalysisClock {
  /** Sleeps requested so far, in ms, in order. */
  readonly sleeps: number[];
}

/**
 * Time that moves only when everyone waits: each sleep registers a timer, and once the event loop
 * has run what it can (setImmediate), the earliest timer fires and the clock jumps to it. Real I/O
 * (an HTTP request to a local server) still takes real time, during which virtual time may move.
 */
export function createVirtualClock(startMs = 1_700_000_000_000): VirtualClock {
  let nowMs = startMs;
  let scheduled = false;
  const timers: { atMs: number; seq: number; resolve: () => void }[] = [];
  const sleeps: number[] = [];
  let seq = 0;
  const tick = () => {
    scheduled = false;
    if (timers.length === 0) return;
    timers.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
    const next = timers.shift()!;
    nowMs = Math.max(nowMs, next.atMs);
    next.resolve();
    schedule();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(tick);
  };
  return {
    sleeps,
    now: () => nowMs,
    sleep(ms, signal) {
      sleeps.push(ms);
      return new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        const timer = { atMs: nowMs + ms, seq: seq++, resolve };
        timers.push(timer);
        signal.addEventListener(
          'abort',
          () => {
            const index = timers.indexOf(timer);
            if (index >= 0) timers.splice(index, 1);
            resolve();
          },
          { once: true },
        );
        schedule();
      });
    },
  };
}
