import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { identifyProcess, isSameProcess, processStartTicks } from '../../../src/agent/supervisor/process-identity.ts';

test('a recorded identity matches its live process, and not one with another start time', () => {
  const me = identifyProcess(process.pid);
  assert.equal(typeof me.startTicks, 'number');
  assert.equal(isSameProcess(me), true);
  assert.equal(isSameProcess({ pid: process.pid, startTicks: (me.startTicks ?? 0) + 1 }), false, 'a reused pid is another process');
});

test('a process that exited no longer matches', async () => {
  const child = spawn(process.execPath, ['-e', '']);
  const recorded = identifyProcess(child.pid!);
  await once(child, 'exit');
  assert.equal(processStartTicks(child.pid!), null);
  assert.equal(isSameProcess(recorded), false);
});
