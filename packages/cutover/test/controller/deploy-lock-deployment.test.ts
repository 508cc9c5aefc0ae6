import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DeployLock } from '../../src/controller/deploy-lock.ts';
import { deployLockName, markInterrupted } from '../../src/controller/deployment-state.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';

// A canary waits for humans while other commands (status, promote, abort) read the records: they
// must see the running deployment as running, which needs the lock to name it.
test('the lock holder names its deployment, so other commands never mark a running deployment interrupted', () => {
  const store = new DeploymentStore(join(mkdtempSync(join(tmpdir(), 'cutover-lock-')), 'cutover.db'));
  const lock = new DeployLock(store);
  const attempt = lock.acquire(deployLockName('shop'));
  assert.ok(attempt.acquired);
  const id = store.createDeployment({
    service: 'shop',
    kind: 'deploy',
    fromRelease: 'v1',
    toRelease: 'v2',
    actor: 'me',
    host: hostname(),
    pid: process.pid,
  });
  const again = new DeployLock(store).acquire(deployLockName('shop'), { owner: attempt.lease.owner, deploymentId: id });
  assert.ok(again.acquired, 'the same owner re-enters');
  assert.equal(lock.holder(deployLockName('shop'))?.deploymentId, id);
  assert.deepEqual(markInterrupted(store, 'shop'), []);
  assert.equal(store.deployment(id)?.state, 'running');
  again.lease.release();
  assert.equal(lock.isFree(deployLockName('shop')), false, 'releasing the re-entry leaves the lock held');
  attempt.lease.release();
  assert.equal(lock.isFree(deployLockName('shop')), true);
  store.close();
});

test('another owner is still refused', () => {
  const store = new DeploymentStore(join(mkdtempSync(join(tmpdir(), 'cutover-lock-')), 'cutover.db'));
  const attempt = new DeployLock(store).acquire('deploy:shop');
  assert.ok(attempt.acquired);
  assert.equal(new DeployLock(store).acquire('deploy:shop', { owner: 'someone-else', deploymentId: 3 }).acquired, false);
  attempt.lease.release();
  store.close();
});
