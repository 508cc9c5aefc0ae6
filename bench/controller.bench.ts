/**
 * The controller, on one host, through the CLI and a real agent:
 *   A. controller restart to resumed reconciliation: kill -9 of the controller during a canary pause,
 *      then the time until the new controller recorded `deployment:resumed` and `rollout:resumed`
 *      (includes the agent's restart of the controller and the Node start of the new one);
 *   B. `cutover deploy --detach` until it exits with the deployment accepted (whole CLI process);
 *   C. the overhead a resumed deployment adds to its pause: how late the promotion starts after the
 *      pause's original deadline when the controller was killed during the pause.
 * Anchor in the same run: the wall time of `cutover --version` (Node start + the CLI's entry point).
 * Run: node bench/controller.bench.ts [--rounds 3]
 * Prints a table and writes the raw figures to bench/results/controller-<time>.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { loadConfig } from '../packages/cutover/src/config/load-config.ts';
import { ControllerClient } from '../packages/cutover/src/controller/controller-client.ts';
import { CLI, Sandbox } from '../test/e2e/support/sandbox.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const ROUNDS = Number(values.rounds);
const PAUSE_MS = 15_000;

const config = (port: number) => `service: bench-controller
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: ${JSON.stringify(`${process.execPath} server.js`)}
    instances: 1
    health: { type: http, path: /up, startTimeoutMs: 10s, intervalMs: 200ms }
    stopTimeoutMs: 5s
proxy: { drainTimeoutMs: 2s, websocketGraceMs: 1s }
rollout:
  strategy: canary
  steps:
    - setWeight: 50
    - pause: { durationMs: ${PAUSE_MS}ms }
agent: { httpPort: ${port} }
`;

function events(box: Sandbox, id: number): { at: number; type: string; data: Record<string, unknown> }[] {
  const db = new DatabaseSync(join(box.dir, '.cutover/cutover.db'), { readOnly: true });
  try {
    return db
      .prepare('SELECT at, type, data_json FROM events WHERE deployment_id = ? ORDER BY id')
      .all(id)
      .map((e) => ({ at: e.at as number, type: e.type as string, data: JSON.parse(e.data_json as string) as Record<string, unknown> }));
  } finally {
    db.close();
  }
}

function state(box: Sandbox, id: number): string | undefined {
  const db = new DatabaseSync(join(box.dir, '.cutover/cutover.db'), { readOnly: true });
  try {
    return (db.prepare('SELECT state FROM deployments WHERE id = ?').get(id) as { state: string } | undefined)?.state;
  } finally {
    db.close();
  }
}

async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function cli(box: Sandbox, args: string[]): { ms: number; code: number | null; stdout: string } {
  const started = performance.now();
  const result = spawnSync(process.execPath, [CLI, ...args, '--config', box.config], {
    cwd: box.dir,
    encoding: 'utf8',
    env: { ...process.env, CI: '1' },
  });
  return { ms: performance.now() - started, code: result.status, stdout: result.stdout };
}

/**
 * When a process started (epoch ms, 10 ms resolution), from /proc: its start in clock ticks since
 * boot, against the uptime now (btime has whole seconds only, too coarse for these figures).
 */
function processStartedAtMs(pid: number): number {
  const now = Date.now();
  const uptimeMs = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  return now - uptimeMs + ticks * 10;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number) => Math.round(x);

const box = new Sandbox('cutover-bench-controller-');
const figures = {
  killToSpawnMs: [] as number[],
  spawnToResumedMs: [] as number[],
  submitApiMs: [] as number[],
  restartToResumedMs: [] as number[],
  restartToRolloutResumedMs: [] as number[],
  detachMs: [] as number[],
  pauseOverheadMs: [] as number[],
  anchorVersionMs: [] as number[],
};
const loadBefore = loadavg();
try {
  for (let i = 1; i <= ROUNDS * 3 + 1; i++) box.release(`v${i}`, {});
  await box.writeConfig(config);
  const up = cli(box, ['up', '--release', 'v1']);
  if (up.code !== 0) throw new Error(`cutover up failed: ${up.stdout}`);
  let release = 1;
  for (let round_ = 0; round_ < ROUNDS; round_++) {
    figures.anchorVersionMs.push(cli(box, ['--version']).ms);
    // B: deploy --detach to accepted.
    release++;
    const detach = cli(box, ['deploy', `v${release}`, '--detach', '--json']);
    if (detach.code !== 0) throw new Error(`deploy --detach failed: ${detach.stdout}`);
    figures.detachMs.push(detach.ms);
    const id = (JSON.parse(detach.stdout) as { deploymentId: number }).deploymentId;
    // A and C: kill -9 of the controller during the pause.
    const pause = await until('the pause', () => events(box, id).find((e) => e.type === 'rollout:step' && e.data.pauseMs === PAUSE_MS));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const pid = (JSON.parse(readFileSync(join(box.dir, '.cutover/controller.pid'), 'utf8')) as { pid: number }).pid;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const resumed = await until('deployment:resumed', () => events(box, id).find((e) => e.type === 'deployment:resumed'));
    const rolloutResumed = await until('rollout:resumed', () => events(box, id).find((e) => e.type === 'rollout:resumed'));
    figures.restartToResumedMs.push(resumed.at - killedAt);
    const successor = await until('the new controller pid', () => {
      const next = (JSON.parse(readFileSync(join(box.dir, '.cutover/controller.pid'), 'utf8')) as { pid: number }).pid;
      return next !== pid && next;
    });
    const spawnedAt = processStartedAtMs(successor);
    figures.killToSpawnMs.push(spawnedAt - killedAt);
    figures.spawnToResumedMs.push(resumed.at - spawnedAt);
    figures.restartToRolloutResumedMs.push(rolloutResumed.at - killedAt);
    const promoting = await until('the promotion', () => events(box, id).find((e) => e.type === 'rollout:promoting'));
    figures.pauseOverheadMs.push(promoting.at - (pause.data.deadlineAt as number));
    await until('the end', () => state(box, id) !== 'running' && state(box, id));
    if (state(box, id) !== 'succeeded') throw new Error(`deployment ${id} ended ${state(box, id)}`);
  }
  // B: the submit alone, over the controller API from this process (no CLI start): recorded and locked.
  const controller = new ControllerClient(join(box.dir, '.cutover'));
  const loaded = loadConfig(box.dir);
  for (let round_ = 0; round_ < ROUNDS; round_++) {
    release++;
    const started = performance.now();
    const id = await controller.submit({
      configFile: loaded.file,
      configText: readFileSync(loaded.file, 'utf8'),
      release: `v${release}`,
      kind: 'deploy',
      actor: 'bench',
      skipChecks: [],
    });
    figures.submitApiMs.push(performance.now() - started);
    await until('the pause', () => events(box, id).find((e) => e.type === 'rollout:step' && e.data.pauseMs === PAUSE_MS));
    cli(box, ['promote', '--full']);
    await until('the end', () => state(box, id) !== 'running' && state(box, id));
  }
} finally {
  await box.cleanup();
}
const loadAfter = loadavg();
const rows = [
  ['A. kill -9 of the controller → deployment:resumed recorded', figures.restartToResumedMs, '< 1000'],
  ['A. kill -9 of the controller → canary resumed (adopted, weight set)', figures.restartToRolloutResumedMs, '< 1000'],
  ['   of which: kill → new controller process started (the agent restarts it)', figures.killToSpawnMs, ''],
  ['   of which: new controller process start → deployment:resumed', figures.spawnToResumedMs, ''],
  ['B. cutover deploy --detach, whole CLI process', figures.detachMs, '< 300'],
  ['B. the submit alone over the controller API (recorded, locked)', figures.submitApiMs, '< 300'],
  ['C. promotion after the original pause deadline (resumed)', figures.pauseOverheadMs, '< 1000'],
  ['anchor: cutover --version, whole CLI process', figures.anchorVersionMs, ''],
] as const;
console.log(
  `controller bench: ${ROUNDS} rounds, ${cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} → ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`,
);
for (const [name, xs, target] of rows)
  console.log(`${name.padEnd(72)} median ${String(round(median(xs))).padStart(6)} ms  (${xs.map(round).join(', ')})  target ${target}`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`./results/controller-${Date.now()}.json`, import.meta.url),
  JSON.stringify({ rounds: ROUNDS, loadBefore, loadAfter, figures }, null, 2),
);
