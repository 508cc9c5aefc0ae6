import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/results/ (gitignored). */
const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** The commit the bench ran on (`-dirty` with uncommitted changes), for the figures' provenance. */
export function benchCommit(): string {
  try {
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

/** The command line that produced the figures, as a user would type it from the repository root. */
export function benchCommand(): string {
  return ['node', ...process.argv.slice(1).map((arg) => arg.replace(`${process.cwd()}/`, ''))].join(' ');
}

/**
 * What the figures depend on: cores, CPU model, load average (other work on the machine), Node
 * version; and where they come from: the command, the commit and the time.
 */
export function machine() {
  return {
    command: benchCommand(),
    commit: benchCommit(),
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
