import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { agentPaths } from '../../src/agent/agent-paths.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { buildReleasePlan } from '../../src/releases/release-plan.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';

const BIN = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));

/** A project whose release v1 is recorded as deployed (no agent needed: tasks and `run` read the records). */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'cutover-tasks-cli-'));
  mkdirSync(join(root, 'releases', 'v1'), { recursive: true });
  writeFileSync(join(root, 'releases', 'v1', 'marker.txt'), 'in v1\n');
  writeFileSync(
    join(root, 'cutover.yml'),
    `service: shop
env:
  GREETING: hello
secrets:
  API_TOKEN: { command: "echo tok-from-vault" }
processes:
  web:
    command: node server.js
tasks:
  report:
    schedule: "0 2 * * *"
    timeZone: UTC
    command: cat marker.txt; echo "$GREETING from $CUTOVER_RELEASE"
  broken:
    schedule: "*/5 * * * *"
    command: [sh, -c, "echo broken >&2; exit 7"]
`,
  );
  const loaded = loadConfig(root);
  const store = new DeploymentStore(agentPaths(loaded.dataDir).deploymentsDb);
  const dir = join(root, 'releases', 'v1');
  store.upsertRelease({ service: 'shop', name: 'v1', dir, specs: buildReleasePlan(loaded, 'v1', dir, process.env) });
  const id = store.createDeployment({
    service: 'shop',
    kind: 'deploy',
    fromRelease: null,
    toRelease: 'v1',
    actor: 't',
    host: 'h',
    pid: process.pid,
  });
  store.finishDeployment(id, 'succeeded', null, null);
  store.close();
  return root;
}

function cutover(cwd: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, CI: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('cutover run: a command in the serving release with its env; its exit code, its output, and a record', async () => {
  const root = project();
  const ok = await cutover(root, 'run', '--', 'sh', '-c', 'cat marker.txt; echo "$GREETING $API_TOKEN"');
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^in v1\nhello tok-from-vault\n/, 'the env and the secrets of the release');
  const failed = await cutover(root, 'run', '--json', '--', 'sh', '-c', 'echo oops >&2; exit 3');
  assert.equal(failed.code, 3);
  const doc = JSON.parse(failed.stdout);
  assert.equal(doc.run.exitCode, 3);
  assert.equal(doc.run.outputTail, 'oops');
  assert.equal(doc.run.kind, 'run');
  assert.equal(doc.error.code, 'CUT_ERR_TASK_FAILED');
  const unknown = await cutover(root, 'run', '--release', 'v9', '--', 'true');
  assert.equal(unknown.code, 5);
  assert.match(unknown.stderr, /CUT_ERR_TASK_NO_RELEASE.*v9.*\n.*deployed releases: v1/);
  const history = JSON.parse((await cutover(root, 'tasks', 'history', '--json')).stdout);
  assert.deepEqual(
    history.runs.map((r: { kind: string; exitCode: number; release: string }) => [r.kind, r.exitCode, r.release]),
    [
      ['run', 3, 'v1'],
      ['run', 0, 'v1'],
    ],
  );
});

test('cutover tasks: list with next runs, run one now, history; unknown names and --help', async () => {
  const root = project();
  const report = await cutover(root, 'tasks', 'run', 'report');
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /in v1\nhello from v1\n/);
  const broken = await cutover(root, 'tasks', 'run', 'broken', '--json');
  assert.equal(broken.code, 7);
  assert.equal(JSON.parse(broken.stdout).run.outputTail, 'broken');
  const list = JSON.parse((await cutover(root, 'tasks', '--json')).stdout);
  const byName = Object.fromEntries(list.tasks.map((t: { name: string }) => [t.name, t]));
  assert.equal(byName.report.lastRun.state, 'succeeded');
  assert.equal(new Date(byName.report.nextRunAt).toISOString().slice(11), '02:00:00.000Z');
  assert.equal(byName.broken.lastRun.exitCode, 7);
  const history = JSON.parse((await cutover(root, 'tasks', 'history', 'report', '--json')).stdout);
  assert.equal(history.runs.length, 1);
  assert.equal(history.runs[0].trigger, 'manual');
  const unknown = await cutover(root, 'tasks', 'run', 'nope', '--json');
  assert.equal(unknown.code, 5);
  assert.equal(JSON.parse(unknown.stdout).error.code, 'CUT_ERR_TASK_UNKNOWN');
  const help = await cutover(root, 'tasks', '--help');
  assert.match(help.stdout, /cutover tasks run <name>/);
  assert.match((await cutover(root, 'run', '--help')).stdout, /--release/);
});

test('cutover tasks serve schedules until SIGTERM; a second one for the same service is refused', async () => {
  const root = project();
  const first = spawn(process.execPath, [BIN, 'tasks', 'serve'], { cwd: root, env: { ...process.env, CI: '1' } });
  let said = '';
  first.stdout.on('data', (c) => (said += c));
  const exited = new Promise<number | null>((resolve) => first.on('close', resolve));
  const deadline = Date.now() + 60_000;
  while (!said.includes('scheduling 2 tasks of shop')) {
    assert.ok(Date.now() < deadline, `tasks serve did not start: ${said}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const second = await cutover(root, 'tasks', 'serve', '--json');
  assert.equal(second.code, 4);
  assert.equal(JSON.parse(second.stdout).error.code, 'CUT_ERR_TASK_SCHEDULER_RUNNING');
  first.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('cutover run: everything after -- belongs to the command, cutover options there included', async () => {
  const root = project();
  const passed = await cutover(root, 'run', '--', 'sh', '-c', 'echo "$@"', 'sh', '--json', '--config', 'elsewhere.yml', '--help', '--');
  assert.equal(passed.code, 0, passed.stderr);
  const [said, summary] = passed.stdout.split('\n');
  assert.equal(said, '--json --config elsewhere.yml --help --', 'the command got them');
  assert.match(summary, /succeeded in \d+ms \(run \d+, release v1\)$/, 'cutover reported in words, not JSON');
  const ours = await cutover(root, 'run', '--json', '--', 'sh', '-c', 'echo "$@"', 'sh', '--json');
  assert.equal(JSON.parse(ours.stdout).run.outputTail, '--json');
});
