import { setTimeout as delay } from 'node:timers/promises';

/** Where an analysis gets its time from; injected so tests run schedules without waiting. */
export interface AnalysisClock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`, or early (resolving or rejecting) when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: AnalysisClock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, { signal }).catch(() => undefined);
  },
};
