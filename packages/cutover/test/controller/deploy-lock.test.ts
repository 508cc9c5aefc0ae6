import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, mock, test } from 'node:test';
import { DeployLock, isStale, LOCK_OWNER_ENV } from '../../src/controller/deploy-lock.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';

function freshStore(): DeploymentStore {
  return new DeploymentStore(join(mkdtempSync(join(tmpdir(), 'cutover-lock-')), 'cutover.db'));
}

describe('deploy lock', () => {
  test('a second acquire is refused and names the holder; release frees it', () => {
    const store = freshStore();
    const lock = new DeployLock(store);
    const first = lock.acquire('deploy:shop', { deploymentId: 7 });
    assert.ok(first.acquired);
    const second = new DeployLock(store).acquire('deploy:shop');
    assert.equal(second.acquired, false);
    if (!second.acquired) {
      assert.equal(second.holder.pid, process.pid);
      assert.equal(second.holder.deploymentId, 7);
    }
    first.lease.release();
    assert.ok(lock.acquire('deploy:shop').acquired);
  });

  // Fake time for the lease tests: the clock and the heartbeat timer move only when the test says,
  // so a busy machine that delays a timer cannot make a live lease look expired.
  test('an expired lease is taken over', () => {
    mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: Date.now() });
    try {
      const store = freshStore();
      const first = new DeployLock(store, { ttlMs: 50, heartbeatMs: 10_000 }).acquire('deploy:shop');
      assert.ok(first.acquired);
      mock.timers.tick(40);
      assert.equal(new DeployLock(store).acquire('deploy:shop').acquired, false, 'alive within its TTL');
      mock.timers.tick(40);
      assert.ok(new DeployLock(store).acquire('deploy:shop').acquired, 'taken over once expired');
      if (first.acquired) first.lease.release();
    } finally {
      mock.timers.reset();
    }
  });

  test('heartbeats keep a lease alive past its TTL', () => {
    mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: Date.now() });
    try {
      const store = freshStore();
      const first = new DeployLock(store, { ttlMs: 100, heartbeatMs: 20 }).acquire('deploy:shop');
      assert.ok(first.acquired);
      for (let i = 0; i < 25; i++) mock.timers.tick(20);
      assert.equal(new DeployLock(store).acquire('deploy:shop').acquired, false, 'alive five TTLs later');
      if (first.acquired) first.lease.release();
    } finally {
      mock.timers.reset();
    }
  });

  test('a lease whose holder process died on this host is stale at once', () => {
    const store = freshStore();
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    const lock = new DeployLock(store);
    const attempt = lock.acquire('deploy:shop');
    assert.ok(attempt.acquired);
    store.db.prepare('UPDATE locks SET pid = ?').run(dead);
    assert.equal(isStale(lock.holder('deploy:shop')!, Date.now()), true);
    assert.ok(new DeployLock(store).acquire('deploy:shop').acquired);
  });

  test('a hook inheriting the owner re-enters without taking the lock away', () => {
    const store = freshStore();
    const attempt = new DeployLock(store).acquire('deploy:shop');
    assert.ok(attempt.acquired);
    process.env[LOCK_OWNER_ENV] = attempt.lease.owner;
    try {
      const nested = new DeployLock(store).acquire('deploy:shop');
      assert.ok(nested.acquired && nested.lease.inherited);
      if (nested.acquired) nested.lease.release();
      assert.equal(new DeployLock(store).holder('deploy:shop')?.owner, attempt.lease.owner);
    } finally {
      delete process.env[LOCK_OWNER_ENV];
    }
  });
});
