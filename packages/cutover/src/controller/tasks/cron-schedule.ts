import { Cron } from 'croner';

/** The cron side of a task: when it next starts and when it last should have. Pure over a given time. */
export interface CronSchedule {
  /** The first start strictly after `afterMs`, or null when the pattern never fires again. */
  nextAfter(afterMs: number): number | null;
  /** The latest start at or before `atMs`, or null. */
  lastAtOrBefore(atMs: number): number | null;
}

export function cronSchedule(pattern: string, timeZone?: string): CronSchedule {
  const cron = new Cron(pattern, { paused: true, timezone: timeZone });
  return {
    nextAfter(afterMs) {
      return cron.nextRun(new Date(afterMs))?.getTime() ?? null;
    },
    lastAtOrBefore(atMs) {
      if (cron.match(new Date(Math.floor(atMs / 1000) * 1000))) return Math.floor(atMs / 1000) * 1000;
      return cron.previousRuns(1, new Date(atMs))[0]?.getTime() ?? null;
    },
  };
}
