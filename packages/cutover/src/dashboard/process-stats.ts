import { readFileSync } from 'node:fs';

/** CPU and memory of one process, read from /proc (null where /proc does not tell: another OS, a gone pid). */
export interface ProcessStats {
  /** Share of one core since the previous sample, in percent (null on the first sample). */
  cpuPercent: number | null;
  rssBytes: number | null;
}

const CLOCK_TICKS = 100;

/** Samples processes' CPU time between calls so that it can tell a percentage. */
export class ProcessSampler {
  readonly #last = new Map<number, { cpuSeconds: number; atMs: number }>();

  sample(pid: number | null): ProcessStats {
    if (pid === null) return { cpuPercent: null, rssBytes: null };
    const cpuSeconds = readCpuSeconds(pid);
    const rssBytes = readRss(pid);
    const now = performance.now();
    const previous = this.#last.get(pid);
    let cpuPercent: number | null = null;
    if (cpuSeconds !== null) {
      if (previous && now > previous.atMs)
        cpuPercent = Math.max(0, ((cpuSeconds - previous.cpuSeconds) / ((now - previous.atMs) / 1000)) * 100);
      this.#last.set(pid, { cpuSeconds, atMs: now });
    }
    return { cpuPercent: cpuPercent === null ? null : Math.round(cpuPercent * 10) / 10, rssBytes };
  }

  /** Forgets pids no longer listed. */
  keep(pids: Iterable<number>): void {
    const alive = new Set(pids);
    for (const pid of this.#last.keys()) if (!alive.has(pid)) this.#last.delete(pid);
  }
}

function readCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

function readRss(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
