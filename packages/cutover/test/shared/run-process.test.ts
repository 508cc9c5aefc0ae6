import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isPidAlive } from '../../src/shared/process-group.ts';
import { commandArgv, runCommand, tailLines } from '../../src/shared/run-process.ts';
import { waitFor } from '../helpers/wait-for.ts';

test('exit codes and signals are values; output is kept per stream and interleaved', async () => {
  const failed = await runCommand('echo out; echo err >&2; exit 7', { timeoutMs: 5000 });
  assert.equal(failed.exitCode, 7);
  assert.equal(failed.signal, null);
  assert.equal(failed.stdout, 'out\n');
  assert.equal(failed.stderr, 'err\n');
  assert.equal(failed.output, 'out\nerr\n');
  const killed = await runCommand('kill -9 $$', { timeoutMs: 5000 });
  assert.equal(killed.exitCode, null);
  assert.equal(killed.signal, 'SIGKILL');
  const missing = await runCommand(['/nonexistent/program'], { timeoutMs: 5000 });
  assert.match(missing.spawnError ?? '', /ENOENT/);
});

test('an argv command is run without a shell', async () => {
  assert.deepEqual(commandArgv(['node', '-e', '1']), { file: 'node', args: ['-e', '1'] });
  const result = await runCommand(['/bin/echo', '$HOME; exit 3'], { timeoutMs: 5000 });
  assert.equal(result.exitCode, 0);
  assert.equal(result.stdout, '$HOME; exit 3\n');
});

test('only the tail of a long output is kept', async () => {
  const result = await runCommand('seq 1 100000', { timeoutMs: 10_000, maxOutputBytes: 20 });
  assert.equal(result.stdout.length, 20);
  assert.ok(result.stdout.endsWith('99999\n100000\n'));
  assert.equal(tailLines('a\nb\nc\n\n', 2), 'b\nc');
});

test('a timeout kills the whole process group, grandchildren included, and the event loop keeps running meanwhile', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-run-'));
  const pidFile = join(dir, 'grandchild.pid');
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 20);
  const result = await runCommand(`sh -c 'echo $$ > ${pidFile}; exec sleep 30' & wait`, { timeoutMs: 600, killGraceMs: 200 });
  clearInterval(ticker);
  assert.equal(result.timedOut, true);
  assert.ok(ticks >= 10, `the event loop ticked ${ticks} times during a 600 ms run`);
  const grandchild = Number(readFileSync(pidFile, 'utf8'));
  await waitFor(() => !isPidAlive(grandchild), { what: `grandchild ${grandchild} to be gone` });
});

test('an abort signal stops the group and is reported as aborted', async () => {
  const controller = new AbortController();
  const running = runCommand('sleep 30', { timeoutMs: 60_000, signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  const result = await running;
  assert.equal(result.aborted, true);
  assert.equal(result.timedOut, false);
  assert.equal(result.signal, 'SIGTERM');
});
