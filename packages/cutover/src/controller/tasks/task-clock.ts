/** Where the scheduler gets its time from; injected so tests cross cron minutes without waiting for them. */
export interface TaskClock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` once, `delayMs` from now; the handle cancels it. */
  setTimer(fn: () => void, delayMs: number): { cancel(): void };
}

/** setTimeout caps its delay at about 24.8 days; a longer wait is re-armed in steps. */
const MAX_TIMER_MS = 2_147_000_000;

export const systemTaskClock: TaskClock = {
  now: () => Date.now(),
  setTimer(fn, delayMs) {
    let timer: NodeJS.Timeout;
    const dueAt = Date.now() + delayMs;
    const arm = (ms: number) => {
      timer = setTimeout(
        () => {
          const left = dueAt - Date.now();
          if (left > 0) arm(left);
          else fn();
        },
        Math.min(Math.max(ms, 0), MAX_TIMER_MS),
      );
    };
    arm(delayMs);
    return { cancel: () => clearTimeout(timer) };
  },
};
