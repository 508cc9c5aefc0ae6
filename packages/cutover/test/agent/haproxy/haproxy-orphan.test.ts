import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findOrphanMaster, removeMasterPid, writeMasterPid } from '../../../src/agent/haproxy/haproxy-orphan.ts';

test('a pid file names a left-over HAProxy only when that process runs haproxy with this very config', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-orphan-'));
  const pidFile = join(dir, 'haproxy.pid');
  const config = join(dir, 'haproxy.cfg');
  try {
    assert.equal(findOrphanMaster(pidFile, config), null, 'no pid file');
    writeFileSync(pidFile, 'garbage\n');
    assert.equal(findOrphanMaster(pidFile, config), null, 'unreadable pid');
    writeMasterPid(pidFile, process.pid);
    assert.equal(findOrphanMaster(pidFile, config), null, 'this process itself');
    // A live process that is not an haproxy of this config (a reused pid): never signalled.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', config], { stdio: 'ignore' });
    try {
      writeMasterPid(pidFile, other.pid!);
      assert.equal(findOrphanMaster(pidFile, config), null, 'not haproxy');
    } finally {
      other.kill('SIGKILL');
    }
    removeMasterPid(pidFile);
    assert.equal(findOrphanMaster(pidFile, config), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
