import { readFileSync } from 'node:fs';

/**
 * What the scheduler says of one process so far, from /proc/<pid>/schedstat (summed over its
 * threads' past and the main thread): time on a CPU and time runnable but waiting for one, in ms.
 * On a busy machine a request through a process waits for that process to get a CPU; the wait
 * is as much latency as the work. Null where /proc is missing or the process is gone.
 */
export function schedulerMs(pid: number): { runMs: number; waitMs: number } | null {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return Number.isFinite(run) && Number.isFinite(wait) ? { runMs: run / 1e6, waitMs: wait / 1e6 } : null;
  } catch {
    return null;
  }
}

/** CPU and run-queue wait per request of one process between two readings, in µs (null when a reading failed). */
export interface SchedulerShare {
  cpuUsPerRequest: number;
  waitUsPerRequest: number;
}

export function perRequest(
  before: ReturnType<typeof schedulerMs>,
  after: ReturnType<typeof schedulerMs>,
  requests: number,
): SchedulerShare | null {
  if (!before || !after || requests <= 0) return null;
  return {
    cpuUsPerRequest: ((after.runMs - before.runMs) * 1000) / requests,
    waitUsPerRequest: ((after.waitMs - before.waitMs) * 1000) / requests,
  };
}
