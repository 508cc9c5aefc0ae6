import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/results/ (gitignored). */
const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** What the figures depend on: cores, CPU model, load average (other work on the machine), Node version. */
export function machine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadAverage: loadavg().map((v) => Number(v.toFixed(2))),
    node: process.version,
    at: new Date().toISOString(),
  };
}

/** Writes `data` to bench/results/<name>-<time>.json and returns the path. */
export function writeResults(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
