/**
 * The start-up of the everyday CLI verbs against a real agent and controller, whole processes:
 * `cutover --version`, `status`, `status --json`, `history`, `deploy --detach` (to accepted; the
 * deployment is then waited for with `cutover watch`, outside the figure). For each, per round:
 * the wall time, the CPU time (user + sys, from /usr/bin/time when installed: it counts the work,
 * not the waiting for a busy CPU) and the files loaded (modules read and compiled, counted by a
 * module hook in a separate run: a figure no machine load changes). With --callgrind, also the
 * instructions executed by one run of each (valgrind --tool=callgrind; slow).
 * Anchor in the same run: `node -e 0` (Node's own start). Target: under 150 ms wall.
 * Run: node bench/cli-startup.bench.ts [--rounds 10] [--callgrind]
 * Prints a table and writes the raw figures to bench/results/cli-startup-<time>.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLI, REPO_ROOT, Sandbox } from '../test/e2e/support/sandbox.ts';
import { machine, writeResults } from './support/results-file.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '10' }, callgrind: { type: 'boolean', default: false } } });
const ROUNDS = Number(values.rounds);
const TARGET_MS = 150;
const TIME = '/usr/bin/time';
const RECORDER = join(REPO_ROOT, 'packages/cutover/test/helpers/record-loaded-modules.ts');

interface Figures {
  wallMs: number[];
  cpuMs: number[];
  files: number | null;
  instructions: number | null;
}

const box = new Sandbox('cutover-bench-cli-');
const before = machine();
const results: Record<string, Figures> = {};
const env = { ...process.env, CI: '1' };

/** One run of argv: wall ms and, through /usr/bin/time, user+sys ms. */
function timed(argv: string[]): { wallMs: number; cpuMs: number | null; code: number | null; stdout: string } {
  const useTime = existsSync(TIME);
  const started = performance.now();
  const result = spawnSync(useTime ? TIME : argv[0], useTime ? ['-f', '%U %S', '-o', join(box.dir, 'time.txt'), ...argv] : argv.slice(1), {
    cwd: box.dir,
    encoding: 'utf8',
    env,
  });
  const wallMs = performance.now() - started;
  let cpuMs: number | null = null;
  if (useTime) {
    const [user, sys] = readFileSync(join(box.dir, 'time.txt'), 'utf8').trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
    cpuMs = (user + sys) * 1000;
  }
  return { wallMs, cpuMs, code: result.status, stdout: result.stdout };
}

function filesLoaded(argv: string[]): number {
  const record = join(box.dir, 'modules.txt');
  spawnSync(argv[0], ['--import', RECORDER, ...argv.slice(1)], { cwd: box.dir, env: { ...env, CUTOVER_RECORD_MODULES: record } });
  const files = readFileSync(record, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file:') && !url.endsWith('record-loaded-modules.ts'));
  rmSync(record);
  return files.length;
}

function instructions(argv: string[]): number | null {
  const out = join(box.dir, 'callgrind.out');
  const result = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, ...argv], {
    cwd: box.dir,
    encoding: 'utf8',
    env,
  });
  rmSync(out, { force: true });
  const collected = /Collected : (\d+)/.exec(result.stderr ?? '')?.[1];
  return collected ? Number(collected) : null;
}

const cutover = (...args: string[]) => [process.execPath, CLI, ...args, '--config', box.config];
const VERBS: [string, () => string[], (() => void)?][] = [
  ['node -e 0 (anchor)', () => [process.execPath, '-e', '0']],
  ['cutover --version', () => [process.execPath, CLI, '--version']],
  ['cutover status', () => cutover('status')],
  ['cutover status --json', () => cutover('status', '--json')],
  ['cutover history', () => cutover('history')],
];
let release = 1;
try {
  for (let i = 1; i <= ROUNDS + 3; i++) box.release(`v${i}`, {});
  await box.writeConfig(
    (port) => `service: bench-cli
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: ${JSON.stringify(`${process.execPath} server.js`)}
    instances: 1
    health: { type: http, path: /up }
agent: { httpPort: ${port} }
`,
  );
  const up = timed(cutover('up', '--release', 'v1'));
  if (up.code !== 0) throw new Error(`cutover up failed: ${up.stdout}`);
  for (const [name, argv] of VERBS) results[name] = { wallMs: [], cpuMs: [], files: filesLoaded(argv()), instructions: null };
  results['cutover deploy --detach'] = { wallMs: [], cpuMs: [], files: null, instructions: null };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, argv] of VERBS) {
      const run = timed(argv());
      results[name].wallMs.push(run.wallMs);
      if (run.cpuMs !== null) results[name].cpuMs.push(run.cpuMs);
    }
    release++;
    const detach = timed(cutover('deploy', `v${release}`, '--detach'));
    if (detach.code !== 0) throw new Error(`deploy --detach failed: ${detach.stdout}`);
    results['cutover deploy --detach'].wallMs.push(detach.wallMs);
    if (detach.cpuMs !== null) results['cutover deploy --detach'].cpuMs.push(detach.cpuMs);
    timed(cutover('watch'));
  }
  // Files loaded by deploy --detach: a separate, recorded run (it submits one more deployment).
  release++;
  results['cutover deploy --detach'].files = filesLoaded(cutover('deploy', `v${release}`, '--detach'));
  timed(cutover('watch'));
  if (values.callgrind) {
    for (const [name, argv] of VERBS) results[name].instructions = instructions(argv());
  }
} finally {
  await box.cleanup();
}
const after = machine();
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : Number.NaN);
const anchor = results['node -e 0 (anchor)'];
console.log(
  `cli start-up: ${ROUNDS} rounds, ${before.cpus} cores, commit ${before.commit}, load average ${before.loadAverage.join(' ')} → ${after.loadAverage.join(' ')}`,
);
console.log(`command: ${before.command}`);
console.log(
  `${'VERB'.padEnd(26)} ${'WALL p50'.padStart(9)} ${'vs node'.padStart(8)} ${'CPU p50'.padStart(8)} ${'vs node'.padStart(8)} ${'FILES'.padStart(6)}${values.callgrind ? '  INSTRUCTIONS' : ''}  TARGET`,
);
for (const [name, figures] of Object.entries(results)) {
  const wall = median(figures.wallMs);
  const cpu = median(figures.cpuMs);
  const target =
    name.startsWith('cutover ') && name !== 'cutover --version' ? `< ${TARGET_MS} ms: ${wall < TARGET_MS ? 'PASS' : 'MISS'}` : '';
  console.log(
    `${name.padEnd(26)} ${`${Math.round(wall)} ms`.padStart(9)} ${`${(wall / median(anchor.wallMs)).toFixed(2)}x`.padStart(8)} ${`${Math.round(cpu)} ms`.padStart(8)} ${`${(cpu / median(anchor.cpuMs)).toFixed(2)}x`.padStart(8)} ${String(figures.files ?? '-').padStart(6)}${values.callgrind ? `  ${String(figures.instructions ?? '-').padStart(12)}` : ''}  ${target}`,
  );
}
console.log(`raw results: ${writeResults('cli-startup', { rounds: ROUNDS, before, after, results })}`);
