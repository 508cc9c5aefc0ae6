import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, mock, test } from 'node:test';
import { ControllerMetrics } from '../../src/dashboard/controller-metrics.ts';
import { EventFeed, type FeedEvent, LIVE_POLL_MS } from '../../src/dashboard/event-feed.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';
import { waitFor } from '../helpers/wait-for.ts';

const dir = mkdtempSync(join(tmpdir(), 'cutover-metrics-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function deployment(store: DeploymentStore, service: string): number {
  const id = store.createDeployment({
    service,
    kind: 'deploy',
    fromRelease: 'v1',
    toRelease: 'v2',
    actor: 'ana',
    host: 'h',
    pid: process.pid,
  });
  store.addFacts(id, { strategy: 'canary' });
  return id;
}

test('the feed hands on events recorded here at once and those of another connection (process) by polling', async () => {
  const file = join(dir, 'feed.db');
  const controller = new DeploymentStore(file);
  const other = new DeploymentStore(file);
  const id = deployment(controller, 'svc');
  controller.addEvent(id, 'before:start', {});
  const feed = new EventFeed(controller);
  const seen: FeedEvent[] = [];
  feed.start();
  const off = feed.subscribe((batch) => seen.push(...batch), { live: true });
  try {
    controller.addEvent(id, 'weights:set', { weights: { v1: 90, v2: 10 } });
    await waitFor(() => seen.length === 1, { what: 'the in-process event' });
    other.addEvent(id, 'analysis:verdict', { verdict: 'fail' });
    await waitFor(() => seen.length === 2, { what: 'the event of another connection' });
    assert.deepEqual(
      seen.map((e) => [e.deploymentId, e.type]),
      [
        [id, 'weights:set'],
        [id, 'analysis:verdict'],
      ],
      'events recorded before the feed started are not replayed',
    );
  } finally {
    off();
    feed.stop();
    controller.close();
    other.close();
  }
});

test('with no page open the feed never polls: events recorded here arrive at once, those of another connection when caught up', async () => {
  const file = join(dir, 'idle.db');
  const controller = new DeploymentStore(file);
  const other = new DeploymentStore(file);
  const id = deployment(controller, 'svc');
  mock.timers.enable({ apis: ['setTimeout'] });
  const feed = new EventFeed(controller);
  const seen: string[] = [];
  feed.start();
  const off = feed.subscribe((batch) => seen.push(...batch.map((e) => e.type)));
  try {
    controller.addEvent(id, 'weights:set', { weights: { v1: 90, v2: 10 } });
    await new Promise((resolve) => setImmediate(resolve)); // the wake queued by addEvent runs first
    assert.deepEqual(seen, ['weights:set'], 'an event of this process is read at once');
    other.addEvent(id, 'analysis:verdict', { verdict: 'fail' });
    mock.timers.tick(60_000);
    assert.deepEqual(seen, ['weights:set'], 'no timer reads the table while no page is open');
    feed.catchUp();
    assert.deepEqual(seen, ['weights:set', 'analysis:verdict'], 'a scrape reads what another connection recorded');
    const offLive = feed.subscribe(() => {}, { live: true });
    other.addEvent(id, 'analysis:measurement', { metric: 'error-rate', verdict: 'pass' });
    mock.timers.tick(LIVE_POLL_MS);
    assert.deepEqual(seen.at(-1), 'analysis:measurement', 'an open page makes the feed poll');
    offLive();
  } finally {
    off();
    feed.stop();
    mock.timers.reset();
    controller.close();
    other.close();
  }
});

test('cutover metrics: outcomes by strategy, step histograms, weights that follow the last set, verdicts per metric, rollbacks, locks', async () => {
  const store = new DeploymentStore(join(dir, 'metrics.db'));
  const metrics = new ControllerMetrics(store);
  const id = deployment(store, 'pay');
  const step = store.startStep(id, 'rollout');
  store.endStep(step, 'failed', {}, 'analysis failed');
  store.addEvent(id, 'step:ended', { step: 'rollout', stepId: step, outcome: 'failed' });
  store.addEvent(id, 'weights:set', { weights: { v1: 80, v2: 20 } });
  store.addEvent(id, 'analysis:measurement', { metric: 'error-rate', value: 0.09, verdict: 'fail' });
  store.addEvent(id, 'analysis:measurement', { metric: 'error-rate', value: 0.001, verdict: 'pass' });
  store.addEvent(id, 'analysis:verdict', { verdict: 'fail' });
  metrics.onEvents(store.eventsSince(0));
  let text = await metrics.metrics();
  assert.match(text, /cutover_release_weight\{service="pay",release="v2"\} 20/);
  assert.match(text, /cutover_deployment_step_duration_seconds_count\{service="pay",step="rollout",outcome="failed"\} 1/);
  assert.match(text, /cutover_analysis_measurements_total\{service="pay",metric="error-rate",verdict="fail"\} 1/);
  assert.match(text, /cutover_analysis_measurements_total\{service="pay",metric="error-rate",verdict="pass"\} 1/);
  assert.match(text, /cutover_analysis_last_value\{service="pay",metric="error-rate"\} 0.001/);
  assert.match(text, /cutover_analysis_verdicts_total\{service="pay",verdict="fail"\} 1/);
  assert.match(text, /cutover_deployment_running_seconds\{service="pay",kind="deploy"\} \d/);

  const last = store.lastEventId();
  store.addEvent(id, 'weights:set', { weights: { v1: 100 } });
  store.addEvent(id, 'weights:set', { weights: null });
  metrics.onEvents(store.eventsSince(last));
  store.finishDeployment(id, 'rolled_back', 'analysis failed', 'v1');
  metrics.onDeploymentEvent('deployment:rolledBack', { deploymentId: id, service: 'pay', release: 'v2', kind: 'deploy', at: Date.now() });
  store.db
    .prepare(
      `INSERT INTO locks (name, owner, host, pid, deployment_id, acquired_at, heartbeat_at, expires_at) VALUES ('deploy:pay', 'o', 'h', 1, NULL, 0, 0, ?)`,
    )
    .run(Date.now() + 60_000);
  text = await metrics.metrics();
  assert.doesNotMatch(text, /cutover_release_weight\{/, 'cleared weights leave no stale series');
  assert.match(text, /cutover_deployments_total\{service="pay",strategy="canary",outcome="rolled_back"\} 1/);
  assert.match(text, /cutover_rollbacks_total\{service="pay",trigger="automatic"\} 1/);
  assert.match(text, /cutover_deploy_lock_held\{service="pay"\} 1/);
  assert.doesNotMatch(text, /cutover_deployment_running_seconds\{/, 'nothing runs any more');
  assert.match(text, /cutover_deployment_last_end_timestamp_seconds\{service="pay",state="rolled_back"\}/);
  store.close();
});
