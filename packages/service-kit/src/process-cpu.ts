import { readFileSync } from 'node:fs';

/**
 * CPU seconds (user + system) process `pid` has used, from /proc (Linux; undefined elsewhere or
 * once it has gone). Load on a shared machine changes wall-clock figures a lot and this much less.
 */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15 of stat, counted here from after the command name), in ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
