import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { runHooks } from '../../src/controller/hook-runner.ts';

test('hooks run in order with the deployment facts in env; the first failure stops the list', async () => {
  const lines: string[] = [];
  const result = await runHooks(['echo "one $CUTOVER_RELEASE"', 'exit 3', 'echo never'], {
    cwd: tmpdir(),
    env: { CUTOVER_RELEASE: 'v9' },
    timeoutMs: 5000,
    onLine: (line) => lines.push(line),
  });
  assert.equal(result.outcome, 'failed');
  assert.match(result.reason ?? '', /exit 3/);
  assert.deepEqual(lines, ['one v9']);
  assert.equal((result.values.hooks as unknown[]).length, 2);
});

test('a hook past its timeout is killed and fails', async () => {
  const result = await runHooks(['sleep 5'], { cwd: tmpdir(), env: {}, timeoutMs: 200 });
  assert.equal(result.outcome, 'failed');
});

test('no hooks is a skipped step, not a pass', async () => {
  assert.equal((await runHooks([], { cwd: tmpdir(), env: {}, timeoutMs: 1000 })).outcome, 'skipped');
});
