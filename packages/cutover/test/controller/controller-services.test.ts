import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { agentPaths } from '../../src/agent/agent-paths.ts';
import { type LoadedConfig, parseConfigText } from '../../src/config/load-config.ts';
import { type ControllerDeploymentEvent, NotificationService } from '../../src/controller/notify/notification-service.ts';
import { TaskHost } from '../../src/controller/tasks/task-host.ts';
import { acquireTaskLease } from '../../src/controller/tasks/task-lease.ts';
import { SqliteTaskRunStore } from '../../src/controller/tasks/task-run-store.ts';
import { buildReleasePlan } from '../../src/releases/release-plan.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';
import { createManualClock } from '../helpers/manual-clock.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';

function project(tasks: string, notify = ''): { root: string; config: (text?: string) => LoadedConfig } {
  const root = mkdtempSync(join(tmpdir(), 'cutover-controller-services-'));
  mkdirSync(join(root, 'releases', 'v1'), { recursive: true });
  const base = `service: shop\nprocesses:\n  web:\n    command: node server.js\n${notify}`;
  const config = (text = tasks) => parseConfigText(`${base}${text}`, join(root, 'cutover.yml'));
  const loaded = config();
  const store = new DeploymentStore(agentPaths(loaded.dataDir).deploymentsDb);
  const dir = join(root, 'releases', 'v1');
  store.upsertRelease({ service: 'shop', name: 'v1', dir, specs: buildReleasePlan(loaded, 'v1', dir, process.env) });
  store.finishDeployment(
    store.createDeployment({ service: 'shop', kind: 'deploy', fromRelease: null, toRelease: 'v1', actor: 't', host: 'h', pid: 1 }),
    'succeeded',
    null,
    null,
  );
  store.close();
  return { root, config };
}

test('the notification service sends each controller deployment event to the webhooks of its deployment config', async () => {
  const receiver = await startWebhookReceiver();
  const { config } = project('', `notify:\n  webhooks:\n    - url: ${receiver.url}\n`);
  const loaded = config();
  const emitter = new EventEmitter();
  const service = new NotificationService({
    onDeploymentEvent: (listener) => {
      emitter.on('event', listener);
      return () => emitter.off('event', listener);
    },
    configOf: (id) => (id === 7 ? loaded : null),
    fromReleaseOf: () => 'v1',
    storeFile: agentPaths(loaded.dataDir).deploymentsDb,
  });
  await service.start();
  const event = (reason?: string): ControllerDeploymentEvent => ({
    deploymentId: 7,
    service: 'shop',
    release: 'v2',
    kind: 'deploy',
    at: Date.parse('2026-01-01T00:00:00Z'),
    reason,
  });
  emitter.emit('event', 'deployment:resumed', event());
  emitter.emit('event', 'deployment:rolledBack', { ...event('p99 above 500 ms'), rolledBackTo: 'v1' });
  emitter.emit('event', 'deployment:started', { ...event(), deploymentId: 8 });
  await waitFor(() => receiver.received.length === 1, { what: 'the rolled-back notification' });
  await service.stop();
  await receiver.close();
  const body = JSON.parse(receiver.received[0].body);
  assert.equal(body.event, 'deployment:rolled-back');
  assert.equal(body.text, 'shop: deploy 7 of v2 failed and was rolled back to v1: p99 above 500 ms');
  assert.equal(receiver.received.length, 1, 'resumed is not a notification; deployment 8 has no known config');
});

test('the task host schedules each service from its serving config and reloads it when a deployment succeeds', async () => {
  const { config } = project('tasks:\n  tick:\n    schedule: "* * * * *"\n    command: "true"\n');
  let current = config();
  const emitter = new EventEmitter();
  const clock = createManualClock(Date.parse('2026-01-01T00:00:30Z'));
  const host = new TaskHost({
    services: () => ['shop'],
    configOf: () => current,
    onDeploymentSucceeded: (listener) => {
      emitter.on('succeeded', listener);
      return () => emitter.off('succeeded', listener);
    },
    clock,
  });
  await host.start();
  const runs = new SqliteTaskRunStore(agentPaths(current.dataDir).deploymentsDb);
  clock.advanceTo(Date.parse('2026-01-01T00:01:00Z'));
  await waitFor(() => runs.history('shop').some((r) => r.task === 'tick' && r.state === 'succeeded'), { what: 'the tick run' });
  current = config('tasks:\n  tock:\n    schedule: "*/2 * * * *"\n    command: "true"\n');
  emitter.emit('succeeded', 'shop');
  await waitFor(() => host.tasksOf('shop')?.scheduler.list()[0]?.name === 'tock', { what: 'the reloaded tasks' });
  clock.advanceTo(Date.parse('2026-01-01T00:02:00Z'));
  await waitFor(() => runs.history('shop').some((r) => r.task === 'tock' && r.state === 'succeeded'), { what: 'the tock run' });
  await host.stop();
  assert.deepEqual(
    runs.history('shop').map((r) => r.task),
    ['tock', 'tick'],
    'the old schedule stopped with the reload',
  );
  runs.close();
});

test('the task host and "cutover tasks serve" share the tasks lease: a service held elsewhere is not scheduled until it is freed', async () => {
  const { config } = project('tasks:\n  tick:\n    schedule: "* * * * *"\n    command: "true"\n');
  const current = config();
  const store = new DeploymentStore(agentPaths(current.dataDir).deploymentsDb);
  // What `cutover tasks serve` holds while it runs.
  const serve = acquireTaskLease(store, 'shop');
  assert.ok(serve.acquired);
  const held: string[] = [];
  const host = new TaskHost({
    services: () => ['shop'],
    configOf: () => current,
    onDeploymentSucceeded: () => () => {},
    lease: (service) => acquireTaskLease(store, service),
    leaseRetryMs: 50,
    onLeaseHeld: (service) => held.push(service),
  });
  await host.start();
  assert.equal(host.tasksOf('shop'), null, 'not scheduled while tasks serve holds the lease');
  assert.deepEqual(host.heldElsewhere(), ['shop']);
  assert.equal(held[0], 'shop');
  // And the other way round: a second scheduler is refused while the host holds it.
  serve.lease.release();
  await waitFor(() => host.tasksOf('shop') !== null, { what: 'the host taking the freed lease' });
  assert.deepEqual(host.heldElsewhere(), []);
  const second = acquireTaskLease(store, 'shop');
  assert.equal(second.acquired, false, 'tasks serve is refused while the host schedules');
  await host.stop();
  assert.equal(acquireTaskLease(store, 'shop').acquired, true, 'the host frees the lease when it stops');
  store.close();
});
