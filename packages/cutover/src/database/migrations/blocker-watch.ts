import type pg from 'pg';
import { LOCK_HOLDER_COLUMNS, type LockHolder, toLockHolder } from './lock-holder.ts';

/** Watches one backend while it runs a statement, from another connection. */
export interface BlockerWatch {
  /** Stops polling; returns every session seen blocking the backend (latest sample per pid). */
  stop(): Promise<LockHolder[]>;
}

/**
 * Samples pg_blocking_pids of `pid` every `intervalMs` while a statement runs. After a lock
 * timeout the wait is over and the blockers can no longer be asked for, so they are sampled
 * during the wait and reported afterwards.
 */
export function watchBlockers(monitor: pg.ClientBase, pid: number, intervalMs: number): BlockerWatch {
  const seen = new Map<number, LockHolder>();
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const sample = async () => {
    try {
      const { rows } = await monitor.query(
        `select ${LOCK_HOLDER_COLUMNS} from pg_stat_activity a where a.pid = any(pg_blocking_pids($1))`,
        [pid],
      );
      for (const row of rows) {
        const holder = toLockHolder(row);
        seen.set(holder.pid, holder);
      }
    } catch {
      // A failed sample only loses detail for the report; the migration itself is unaffected.
    }
  };
  const schedule = () => {
    timer = setTimeout(() => {
      if (stopped) return;
      inFlight = sample().then(() => {
        if (!stopped) schedule();
      });
    }, intervalMs);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      return [...seen.values()];
    },
  };
}
