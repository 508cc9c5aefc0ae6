import { readFile, statfs } from 'node:fs/promises';
import { availableParallelism, freemem, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { type CheckOutcome, fail, formatBytes, pass } from './check-result.ts';

/** Free space on the filesystem holding `path` (or its nearest existing parent: the data dir may not exist yet). */
export async function probeDisk(path: string, minFreeBytes: number | undefined, minFreePercent: number | undefined): Promise<CheckOutcome> {
  let probe = path;
  for (;;) {
    try {
      const stats = await statfs(probe);
      const freeBytes = stats.bavail * stats.bsize;
      const totalBytes = stats.blocks * stats.bsize;
      const freePercent = totalBytes === 0 ? 0 : Math.round((freeBytes / totalBytes) * 1000) / 10;
      const measured = { path: probe, freeBytes, totalBytes, freePercent };
      const threshold = { minFreeBytes: minFreeBytes ?? null, minFreePercent: minFreePercent ?? null };
      const have = `${formatBytes(freeBytes)} (${freePercent}%) free on ${probe}`;
      if (minFreeBytes !== undefined && freeBytes < minFreeBytes)
        return fail(`${have}, need ${formatBytes(minFreeBytes)}`, measured, threshold);
      if (minFreePercent !== undefined && freePercent < minFreePercent)
        return fail(`${have}, need ${minFreePercent}%`, measured, threshold);
      return pass(have, measured, threshold);
    } catch (error) {
      const parent = dirname(probe);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === probe) throw error;
      probe = parent;
    }
  }
}

/** 1-minute load average divided by the CPU cores this process may use. */
export function probeLoad(maxLoadPerCore: number): CheckOutcome {
  const load1 = loadavg()[0];
  const cores = availableParallelism();
  const perCore = Math.round((load1 / cores) * 100) / 100;
  const measured = { load1, cores, perCore };
  const text = `1-minute load ${load1.toFixed(2)} on ${cores} cores (${perCore} per core)`;
  return perCore > maxLoadPerCore
    ? fail(`${text}, above ${maxLoadPerCore} per core`, measured, { maxLoadPerCore })
    : pass(text, measured, { maxLoadPerCore });
}

/** MemAvailable from /proc/meminfo (what can be used without swapping), else os.freemem(). */
export async function readAvailableMemory(): Promise<number> {
  try {
    const match = /^MemAvailable:\s+(\d+) kB$/m.exec(await readFile('/proc/meminfo', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  return freemem();
}

export async function probeMemory(minAvailableBytes: number): Promise<CheckOutcome> {
  const availableBytes = await readAvailableMemory();
  const text = `${formatBytes(availableBytes)} memory available`;
  return availableBytes < minAvailableBytes
    ? fail(`${text}, need ${formatBytes(minAvailableBytes)}`, { availableBytes }, { minAvailableBytes })
    : pass(text, { availableBytes }, { minAvailableBytes });
}
