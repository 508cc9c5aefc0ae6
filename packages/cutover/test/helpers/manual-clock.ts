import type { TaskClock } from '../../src/controller/tasks/task-clock.ts';

export interface ManualClock extends TaskClock {
  /** Moves time to `atMs`, firing every timer due on the way, in order. */
  advanceTo(atMs: number): void;
  /** Timers armed and not yet fired or cancelled. */
  pending(): number;
}

/** Time that moves only when the test says so; a timer already due fires on the next turn of the event loop. */
export function createManualClock(startMs: number): ManualClock {
  let nowMs = startMs;
  let seq = 0;
  const timers: { atMs: number; seq: number; fn: () => void }[] = [];
  const fireDue = () => {
    for (;;) {
      timers.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
      const next = timers[0];
      if (!next || next.atMs > nowMs) return;
      timers.shift();
      next.fn();
    }
  };
  return {
    now: () => nowMs,
    setTimer(fn, delayMs) {
      const timer = { atMs: nowMs + Math.max(0, delayMs), seq: seq++, fn };
      timers.push(timer);
      if (delayMs <= 0) setImmediate(fireDue);
      return {
        cancel: () => {
          const index = timers.indexOf(timer);
          if (index >= 0) timers.splice(index, 1);
        },
      };
    },
    advanceTo(atMs) {
      for (;;) {
        timers.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
        const next = timers[0];
        if (!next || next.atMs > atMs) break;
        timers.shift();
        nowMs = Math.max(nowMs, next.atMs);
        next.fn();
      }
      nowMs = Math.max(nowMs, atMs);
    },
    pending: () => timers.length,
  };
}
