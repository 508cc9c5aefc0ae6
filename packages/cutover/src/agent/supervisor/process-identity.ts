import { readFileSync } from 'node:fs';
import { isPidAlive } from '../../shared/process-group.ts';

/**
 * Which process a pid named when it was recorded: the pid plus the kernel's start time of that
 * process (field 22 of /proc/<pid>/stat, clock ticks since boot). A pid the kernel reused for
 * another process has another start time, so a recorded identity never matches a stranger.
 */
export interface ProcessIdentity {
  pid: number;
  /** null where /proc cannot be read (not Linux): only the pid is then compared. */
  startTicks: number | null;
}

/** The start time of a live pid in clock ticks since boot; null when gone or unreadable. */
export function processStartTicks(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
  const ticks = Number(fields[19]);
  return Number.isFinite(ticks) ? ticks : null;
}

/** The identity of a live pid, now. */
export function identifyProcess(pid: number): ProcessIdentity {
  return { pid, startTicks: processStartTicks(pid) };
}

/** Whether the recorded identity still names a live process: same pid, same start time when both are known. */
export function isSameProcess(recorded: ProcessIdentity): boolean {
  if (!isPidAlive(recorded.pid)) return false;
  if (recorded.startTicks === null) return true;
  return processStartTicks(recorded.pid) === recorded.startTicks;
}
