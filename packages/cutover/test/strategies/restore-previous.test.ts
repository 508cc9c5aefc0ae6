// Bringing the previous release back after a failed rollout, against a real agent and real app
// processes: instance ids across resumes, and old instances that are on their way out.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildReleasePlan } from '../../src/releases/release-plan.ts';
import { restoreIdsAfter, restorePrevious } from '../../src/strategies/restore-previous.ts';
import { backend, client, dir, httpPort, loadedWith, serving, TEST, useGuardedAgent } from './support/guarded-agent.ts';

useGuardedAgent();

describe('restoring the previous release', () => {
  test('a resumed restore numbers its instances past those of the interrupted one (no id collision)', TEST, async () => {
    const id = 900;
    const previous = serving;
    const web = previous.processes[0];
    // What an interrupted restore of deployment 900 left: the serving instances gone, its first instance up.
    for (const instance of await backend.instances('guarded')) await backend.stopInstance(instance.spec.id);
    const left = await backend.startInstance({ ...web.template, id: `${previous.release}.web.d${id}.1001` }, true);
    assert.ok((await backend.waitHealthy(left.spec.id, 10_000)).healthy);
    const plan = buildReleasePlan(loadedWith('  strategy: rolling'), 'v-never', join(dir, 'releases', 'v-never'), process.env);
    const events: string[] = [];
    const restored = await restorePrevious({ deploymentId: id, plan, previous, backend, emit: (type) => events.push(type) });
    assert.equal(restored, true);
    const ids = (await backend.instances('guarded')).map((i) => i.spec.id).sort();
    assert.deepEqual(ids, [`${previous.release}.web.d${id}.1001`, `${previous.release}.web.d${id}.1002`]);
    assert.deepEqual(events, ['rollout:restoring', 'rollout:restored']);
  });

  test(
    'an old instance mid-drain counts as gone: the restore starts its replacement (told by the caller, or seen out of the pool)',
    TEST,
    async () => {
      const previous = serving;
      const plan = buildReleasePlan(loadedWith('  strategy: rolling'), 'v-never', join(dir, 'releases', 'v-never'), process.env);
      const ofPrevious = async () => (await backend.instances('guarded')).filter((i) => i.spec.release === previous.release);
      const healthyCount = async () => (await ofPrevious()).filter((i) => i.state === 'healthy').length;
      // Told by the caller: the instance is still healthy and in the pool (the agent has not been asked yet).
      const [told] = await ofPrevious();
      assert.ok(told?.inPool);
      assert.equal(
        await restorePrevious({ deploymentId: 901, plan, previous, backend, emit: () => undefined }, { retiring: new Set([told.spec.id]) }),
        true,
      );
      assert.equal(await healthyCount(), 3, 'a replacement for the one being retired');
      await backend.stopInstance(told.spec.id);
      // Seen at the agent: a request holds the drain of one instance; it is healthy but out of its pool.
      const held = new AbortController();
      const holds: Promise<unknown>[] = [];
      const busy = async () => (await client.state('guarded')).services[0]!.targets.filter((t) => t.inFlight > 0).length;
      while ((await busy()) < 2) {
        assert.ok(holds.length < 20, 'the held requests never covered both instances');
        holds.push(fetch(`http://127.0.0.1:${httpPort}/slow?ms=120000`, { signal: held.signal }).catch(() => undefined));
        while ((await client.state('guarded')).services[0]!.targets.reduce((n, t) => n + t.inFlight, 0) < holds.length)
          await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const [draining] = await ofPrevious();
      const stopping = backend.stopInstance(draining!.spec.id);
      const outOfPool = async () => (await ofPrevious()).some((i) => i.spec.id === draining!.spec.id && i.state === 'healthy' && !i.inPool);
      while (!(await outOfPool())) await new Promise((resolve) => setTimeout(resolve, 20));
      try {
        assert.equal(await restorePrevious({ deploymentId: 902, plan, previous, backend, emit: () => undefined }), true);
        assert.equal(
          (await ofPrevious()).filter((i) => i.inPool && i.state === 'healthy').length,
          2,
          'two serving besides the draining one',
        );
      } finally {
        held.abort();
        await Promise.all(holds);
        await stopping;
      }
      assert.deepEqual(
        (await ofPrevious()).map((i) => i.state),
        ['healthy', 'healthy'],
      );
    },
  );

  test('restore ids skip every known id of the deployment, whatever numbered it', () => {
    const next = restoreIdsAfter(['v1.web.d4.1001', 'v1.web.d4.1007', 'v2.web.d4.3', 'v1.web.d5.2000'], 4);
    assert.deepEqual([next('v1', 'web'), next('v1', 'worker')], ['v1.web.d4.1008', 'v1.worker.d4.1009']);
    assert.equal(restoreIdsAfter([], 4)('v1', 'web'), 'v1.web.d4.1001');
  });
});
