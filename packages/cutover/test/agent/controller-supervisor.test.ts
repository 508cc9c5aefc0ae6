import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CONTROLLER_RESTART_DELAY_MS, ControllerSupervisor } from '../../src/agent/controller-supervisor.ts';
import { waitFor } from '../helpers/wait-for.ts';

const dir = mkdtempSync(join(tmpdir(), 'cutover-controller-supervisor-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in controller that exits by itself after `ms`. */
const exitingAfter = (ms: number) => [process.execPath, '-e', `setTimeout(() => process.exit(1), ${ms})`];

test('a controller that exits soon after its start (a crash loop) is restarted with a doubling backoff', async () => {
  const supervisor = new ControllerSupervisor({ command: exitingAfter(0), logFile: join(dir, 'loop.log'), stableMs: 60_000 });
  supervisor.start();
  try {
    const delays: (number | null)[] = [];
    for (let starts = 2; starts <= 3; starts++) {
      await waitFor(() => supervisor.status().starts >= starts, { what: `start ${starts}`, timeoutMs: 30_000 });
      delays.push(supervisor.status().lastRestartDelayMs);
    }
    assert.deepEqual(delays, [CONTROLLER_RESTART_DELAY_MS, CONTROLLER_RESTART_DELAY_MS * 2]);
  } finally {
    await supervisor.stop();
  }
});

test('a controller that ran stably and then exited (kill -9, a crash at work) is restarted at once', async () => {
  const supervisor = new ControllerSupervisor({ command: exitingAfter(300), logFile: join(dir, 'stable.log'), stableMs: 100 });
  supervisor.start();
  try {
    for (let starts = 2; starts <= 3; starts++) {
      await waitFor(() => supervisor.status().starts >= starts, { what: `start ${starts}`, timeoutMs: 30_000 });
      assert.equal(supervisor.status().lastRestartDelayMs, 0, `restart ${starts - 1} waited`);
    }
  } finally {
    await supervisor.stop();
  }
});
