/**
 * Runs every bench of this folder one after the other (never two at once: they would measure each
 * other), each with its own defaults, and keeps for each: the command, the commit, the start time,
 * the load average before and after, the exit code, the duration and the whole output. The figures
 * on bench/README.md ("Last full run") come from such a run.
 * Run: node bench/run-all.ts [--only deploy,proxy,...] [--timeout-min 20]
 * proxy-ab is left out: it compares two checkouts and needs the other one (--a DIR).
 * Writes bench/results/run-all-<time>.json and one bench/results/<bench>-<time>.log per bench (gitignored).
 */
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchCommit, writeResults } from './support/results-file.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));
const USAGE = `usage: node bench/run-all.ts [--only deploy,proxy,...] [--timeout-min 20]
Runs every bench/*.bench.ts in turn (never two at once), each with its own defaults, and keeps each one's
command, commit, load before and after, exit code, duration and output in bench/results/.
proxy-ab is left out (it needs the checkout to compare with: node bench/proxy-ab.bench.ts --a DIR).`;
/** Benches that cannot run on their defaults alone. */
const NEEDS_ARGUMENTS = new Set(['proxy-ab']);
let parsed: ReturnType<typeof parseOptions>;
function parseOptions() {
  return parseArgs({
    options: { only: { type: 'string' }, 'timeout-min': { type: 'string', default: '20' }, help: { type: 'boolean', default: false } },
  });
}
try {
  parsed = parseOptions();
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
const { values } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const only = values.only ? new Set(values.only.split(',')) : null;
const timeoutMs = Number(values['timeout-min']) * 60_000;
const benches = readdirSync(HERE)
  .filter((name) => name.endsWith('.bench.ts'))
  .map((name) => name.replace(/\.bench\.ts$/, ''))
  .filter((name) => (only ? only.has(name) : !NEEDS_ARGUMENTS.has(name)))
  .sort();

const load = () => loadavg().map((v) => Number(v.toFixed(2)));
const runs = [];
for (const name of benches) {
  const command = `node bench/${name}.bench.ts`;
  const startedAt = new Date();
  const loadBefore = load();
  const started = performance.now();
  process.stdout.write(`${startedAt.toISOString()} ${command} (load ${loadBefore.join(' ')}) … `);
  let output = '';
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [join('bench', `${name}.bench.ts`)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.once('close', (exit) => {
      clearTimeout(timer);
      resolve(exit);
    });
  });
  const durationS = Math.round((performance.now() - started) / 1000);
  const loadAfter = load();
  const log = join(HERE, 'results', `${name}-${startedAt.toISOString().replace(/[:.]/g, '-')}.log`);
  writeFileSync(
    log,
    `${command}\ncommit ${benchCommit()}, ${startedAt.toISOString()}, load ${loadBefore.join(' ')} → ${loadAfter.join(' ')}\n\n${output}`,
  );
  console.log(`exit ${code} in ${durationS} s (load after ${loadAfter.join(' ')})`);
  runs.push({ name, command, commit: benchCommit(), startedAt: startedAt.toISOString(), loadBefore, loadAfter, code, durationS, log });
}
console.log(`summary: ${writeResults('run-all', { runs })}`);
