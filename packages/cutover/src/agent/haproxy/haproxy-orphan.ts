import { readFileSync, rmSync } from 'node:fs';
import { isPidAlive } from '../../shared/process-group.ts';
import { writeFileAtomic } from '../../shared/write-file-atomic.ts';

const POLL_MS = 20;
/** A soft stop (SIGUSR1) of a left-over HAProxy may finish its requests this long; then SIGTERM, then SIGKILL. */
export const ORPHAN_SOFT_STOP_MS = 5000;
const ORPHAN_HARD_STOP_MS = 1000;

/** Records the master pid of the HAProxy this agent runs, so that the next agent finds it if this one dies. */
export function writeMasterPid(pidFile: string, pid: number): void {
  writeFileAtomic(pidFile, `${pid}\n`);
}

export function removeMasterPid(pidFile: string): void {
  rmSync(pidFile, { force: true });
}

/**
 * The master of an HAProxy that a previous agent of this data directory started and left running
 * (it was killed with -9): the pid in the pid file, when that process is alive and runs this very
 * config file. Null otherwise (no file, a dead pid, a pid reused by another program).
 */
export function findOrphanMaster(pidFile: string, configFile: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || !isPidAlive(pid)) return null;
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return null;
  }
  return argv.includes(configFile) && argv.some((arg) => arg.endsWith('haproxy')) ? pid : null;
}

/**
 * Stops a left-over HAProxy: a soft stop first (it closes its listeners at once and finishes the
 * requests it has), a hard one past ORPHAN_SOFT_STOP_MS. It still routes by the previous agent's
 * slots and, sharing the port by SO_REUSEPORT, would keep taking connections beside the new one.
 */
export async function stopOrphanMaster(pid: number, softStopMs = ORPHAN_SOFT_STOP_MS): Promise<void> {
  for (const [signal, waitMs] of [
    ['SIGUSR1', softStopMs],
    ['SIGTERM', ORPHAN_HARD_STOP_MS],
    ['SIGKILL', ORPHAN_HARD_STOP_MS],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    const deadline = performance.now() + waitMs;
    while (performance.now() < deadline) {
      if (!isPidAlive(pid)) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
