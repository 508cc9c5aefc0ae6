import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type HookRun, runHooks } from '../../src/controller/hook-runner.ts';
import { isPidAlive } from '../../src/shared/process-group.ts';
import { waitFor } from '../helpers/wait-for.ts';

test('hooks run in order with the deployment facts in env; the first failure stops the list', async () => {
  const lines: string[] = [];
  const result = await runHooks(['echo "one $CUTOVER_RELEASE"', 'echo bad >&2; exit 3', 'echo never'], {
    cwd: tmpdir(),
    env: { CUTOVER_RELEASE: 'v9' },
    timeoutMs: 5000,
    onLine: (line) => lines.push(line),
  });
  assert.equal(result.outcome, 'failed');
  const runs = result.values.hooks as HookRun[];
  assert.deepEqual(
    runs.map((r) => r.exitCode),
    [0, 3],
  );
  assert.equal(runs[1].outputTail, 'bad');
  assert.equal(result.reason, 'hook "echo bad >&2; exit 3" exited with 3');
  assert.deepEqual(lines, ['one v9', 'bad']);
});

test('a hook past its timeout is killed and fails with no exit code', async () => {
  const result = await runHooks(['sleep 5'], { cwd: tmpdir(), env: {}, timeoutMs: 200 });
  assert.equal(result.outcome, 'failed');
  const [run] = result.values.hooks as HookRun[];
  assert.equal(run.exitCode, null);
  assert.equal(run.timedOut, true);
});

test('a hook that times out with a grandchild still running (ignoring SIGTERM, holding the pipes) does not hang; the grandchild dies', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-hook-'));
  const pidFile = join(dir, 'grandchild.pid');
  // The grandchild ignores SIGTERM and keeps stdout open: only the group SIGKILL stops it.
  const hook = `sh -c 'trap "" TERM; echo $$ > ${pidFile}; while :; do sleep 0.1; done' & wait`;
  const started = performance.now();
  const result = await runHooks([hook], { cwd: dir, env: {}, timeoutMs: 500 });
  const tookMs = performance.now() - started;
  assert.equal(result.outcome, 'failed');
  assert.equal((result.values.hooks as HookRun[])[0].timedOut, true);
  assert.ok(tookMs < 5000, `runHooks returned after ${Math.round(tookMs)} ms`);
  const grandchild = Number(readFileSync(pidFile, 'utf8'));
  await waitFor(() => !isPidAlive(grandchild), { timeoutMs: 10_000, what: `grandchild ${grandchild} to be killed` });
});

test('no hooks is a skipped step, not a pass', async () => {
  assert.equal((await runHooks([], { cwd: tmpdir(), env: {}, timeoutMs: 1000 })).outcome, 'skipped');
});
