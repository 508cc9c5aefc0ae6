import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on every Linux we run on). */
const TICKS_PER_SEC = 100;

/** CPU time a process has used so far (user and system, ms), from /proc; null where /proc is missing. */
export function processCpuMs(pid: number): { userMs: number; systemMs: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { userMs: (Number(fields[11]) * 1000) / TICKS_PER_SEC, systemMs: (Number(fields[12]) * 1000) / TICKS_PER_SEC };
  } catch {
    return null;
  }
}
