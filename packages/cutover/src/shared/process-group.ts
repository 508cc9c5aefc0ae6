import { readFileSync } from 'node:fs';

/**
 * Signals the process group led by `pid` (instances are spawned detached, so pid = pgid). Returns
 * false when the group is gone. Never falls back to the bare pid: once the group is empty that pid
 * may already belong to an unrelated process.
 */
export function signalProcessGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Whether `pid` is a live process. A zombie counts as dead: an adopted process whose parent (the
 * previous agent) is gone may sit unreaped when nobody in the container reaps orphans.
 */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const state = readProcState(pid);
  return state !== 'Z' && state !== 'X';
}

/** Whether any process is still in the group `pgid` (the leader may be gone, its children not). */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One variable from a process's environment, or undefined when unreadable (not Linux, not ours). */
export function readProcessEnvVar(pid: number, name: string): string | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
  const prefix = `${name}=`;
  const entry = raw.split('\0').find((e) => e.startsWith(prefix));
  return entry === undefined ? '' : entry.slice(prefix.length);
}

function readProcState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}
