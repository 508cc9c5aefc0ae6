import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DeploymentSignals } from '../../src/store/deployment-signals.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';

test('pruneDeployments keeps the newest `keep` of a service, any running one and the newest success; deletes steps, events, signals', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-prune-deployments-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new DeploymentStore(join(dir, 'cutover.db'));
  t.after(() => store.close());
  const signals = new DeploymentSignals(store.db);
  const deploy = (service: string, state: 'succeeded' | 'failed' | 'running') => {
    const id = store.createDeployment({
      service,
      kind: 'deploy',
      fromRelease: null,
      toRelease: `r${service}`,
      actor: 'a',
      host: 'h',
      pid: 1,
    });
    store.endStep(store.startStep(id, 'rollout'), 'ok', {});
    store.addEvent(id, 'weights:set', {});
    signals.send(id, 'abort', 'a');
    if (state !== 'running') store.finishDeployment(id, state, null, null);
    return id;
  };
  const running = deploy('shop', 'running');
  const good = deploy('shop', 'succeeded');
  const failed = [1, 2, 3, 4].map(() => deploy('shop', 'failed'));
  const other = deploy('other', 'failed');
  assert.equal(store.pruneDeployments('shop', 2), 2);
  const left = store.deployments('shop', 100).map((d) => d.id);
  assert.deepEqual(left, [failed[3], failed[2], good, running]);
  assert.ok(store.deployment(other), 'another service is untouched');
  const count = (table: string) => (store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  assert.deepEqual([count('steps'), count('events'), count('signals')], [5, 5, 5]);
  assert.equal(store.lastGoodRelease('shop'), 'rshop', 'the rollback target survives');
  assert.equal(store.pruneDeployments('shop', 2), 0);
});
