import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentInstance } from '../../src/platform/agent-client.ts';
import type { WorkloadBackend } from '../../src/platform/workload-backend.ts';
import { failureOf, InstanceWatch } from '../../src/strategies/instance-watch.ts';

function instance(overrides: Partial<AgentInstance>): AgentInstance {
  return {
    spec: { id: 'v2.web.d1.1' } as AgentInstance['spec'],
    port: 20001,
    pid: 42,
    state: 'healthy',
    restarts: 0,
    startedAt: 0,
    healthyAt: 1,
    lastExit: null,
    failure: null,
    logFile: '/dev/null',
    inPool: true,
    joinedPoolMs: 1,
    ...overrides,
  };
}

test('failureOf: crashes, failures, exits and lost health are failures; starting is not', () => {
  assert.equal(failureOf(instance({ state: 'starting' }), false), null);
  assert.equal(failureOf(instance({ state: 'unhealthy' }), false), null);
  assert.match(failureOf(instance({ state: 'unhealthy' }), true) ?? '', /health check after becoming healthy/);
  assert.match(failureOf(instance({ restarts: 1, lastExit: { code: 1, signal: null, atMs: 0 } }), true) ?? '', /crashed \(exit code 1/);
  assert.match(failureOf(instance({ state: 'failed', failure: 'start timeout' }), false) ?? '', /failed: start timeout/);
  assert.match(failureOf(instance({ state: 'stopped' }), true) ?? '', /stopped unexpectedly/);
  const exited = {
    state: 'failed',
    failure: 'exited with code 1 during its rollout, not restarted',
    lastExit: { code: 1, signal: null, atMs: 0 },
  } as const;
  assert.equal(failureOf(instance(exited), true), 'instance v2.web.d1.1 crashed: exited with code 1 during its rollout, not restarted');
  // Healthy once by the agent's own checks (healthyAt) is healthy once, even when the watch never saw it.
  assert.match(failureOf(instance(exited), false) ?? '', /crashed: exited with code 1/);
  assert.equal(
    failureOf(instance({ ...exited, healthyAt: null }), false),
    'instance v2.web.d1.1 failed: exited with code 1 during its rollout, not restarted',
    'an instance that never got healthy failed; the exit code is said once',
  );
});

test('the watch interrupts a pending wait as soon as an instance fails', async () => {
  let listings = 0;
  // The first listing shows the instance healthy, every later one shows it restarted (crashed).
  const backend = { instances: async () => [instance(listings++ === 0 ? {} : { restarts: 1 })] } as unknown as WorkloadBackend;
  const watch = new InstanceWatch(backend, 'shop', 10);
  watch.add('v2.web.d1.1');
  watch.start();
  // A wait that never ends by itself: only the watch can end the race.
  const outcome = await watch.race(new Promise(() => {}));
  watch.stop();
  assert.deepEqual(outcome, { failed: 'instance v2.web.d1.1 crashed' });
});

test('an instance not listed yet is not missing; one that was listed and vanished is', () => {
  const watch = new InstanceWatch({} as WorkloadBackend, 'shop');
  watch.add('v2.web.d1.1');
  watch.inspect([]);
  assert.equal(watch.failure, null);
  watch.inspect([instance({ state: 'starting' })]);
  watch.inspect([]);
  assert.equal(watch.failure, 'instance v2.web.d1.1 disappeared from the agent');
});
