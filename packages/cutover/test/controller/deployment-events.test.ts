import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEPLOYMENT_EVENT_NAMES, type DeploymentEventPayload, DeploymentEvents } from '../../src/controller/deployment-events.ts';
import { fencedBackend } from '../../src/platform/fenced-backend.ts';
import type { TrafficRouter } from '../../src/platform/traffic-router.ts';
import type { WorkloadBackend } from '../../src/platform/workload-backend.ts';

const PAYLOAD: DeploymentEventPayload = { deploymentId: 7, service: 'shop', release: 'v2', kind: 'deploy', at: 1 };

test('deployment events reach their listeners; a throwing listener neither stops the others nor the emitter', () => {
  const events = new DeploymentEvents();
  const seen: string[] = [];
  events.on('deployment:failed', () => {
    throw new Error('a broken notifier');
  });
  const off = events.on('deployment:failed', (p) => seen.push(`failed ${p.deploymentId}`));
  events.onAny((name) => seen.push(name));
  events.emit('deployment:failed', { ...PAYLOAD, reason: 'x' });
  off();
  events.emit('deployment:failed', PAYLOAD);
  events.emit('deployment:rolledBack', { ...PAYLOAD, rolledBackTo: 'v1' });
  assert.deepEqual(seen, ['failed 7', 'deployment:failed', 'deployment:failed', 'deployment:rolledBack']);
  assert.ok(DEPLOYMENT_EVENT_NAMES.includes('deployment:promoted'));
});

test('the fenced backend checks the lease before every change and never before a read', async () => {
  const calls: string[] = [];
  const backend = new Proxy({} as WorkloadBackend & TrafficRouter, {
    get: (_target, name) => async () => {
      calls.push(String(name));
      return null;
    },
  });
  let held = true;
  const fenced = fencedBackend({ ...backendMethods(backend) }, () => {
    if (!held) throw new Error('lease lost');
  });
  await fenced.setWeights('shop', { v1: 100 });
  await fenced.instances('shop');
  held = false;
  await fenced.instances('shop');
  await fenced.counters('shop');
  for (const change of [
    () => fenced.setWeights('shop', null),
    () => fenced.stopInstance('a'),
    () => fenced.setRoute({ service: 'shop' } as never),
    () => fenced.unroute('a'),
    () => fenced.startInstance({} as never, true),
  ])
    await assert.rejects(change, /lease lost/);
  assert.deepEqual(calls, ['setWeights', 'instances', 'instances', 'counters']);
});

function backendMethods(b: WorkloadBackend & TrafficRouter): WorkloadBackend & TrafficRouter {
  return {
    instances: (s) => b.instances(s),
    startInstance: (spec, route) => b.startInstance(spec, route),
    settle: (id) => b.settle(id),
    waitHealthy: (id, ms) => b.waitHealthy(id, ms),
    stopInstance: (id, ms) => b.stopInstance(id, ms),
    setRoute: (spec) => b.setRoute(spec),
    setWeights: (s, w) => b.setWeights(s, w),
    weights: (s) => b.weights(s),
    unroute: (id) => b.unroute(id),
    counters: (s) => b.counters(s),
    samples: (s, r, since) => b.samples(s, r, since),
  };
}
