// End to end with the real cutover.yml rollout: the canary of the deployment guide (10 %, analysis,
// 50 %, pause, promotion) with its own metrics and gates, only shortened (seconds instead of an
// hour and a day). Idempotent clients send through the proxy the whole time; the gates read the
// proxy's numbers and the service's queue status; the consumers change release at promotion.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSandbox, type Sandbox } from '../../services/messaging/test/support/sandbox.ts';
import { runSendLoad, type SendLoadResult } from '../../services/messaging/test/support/send-load.ts';
import { verifyDelivery } from '../../services/messaging/test/support/verify-delivery.ts';
import { sleep } from '../../services/messaging/test/support/wait-for.ts';

type Json = Record<string, unknown>;

/** The same steps and metrics with second-long intervals, two measurements each and short pauses. */
function shorten(rollout: Json): Json {
  const metric = (m: Json): Json => ({
    ...m,
    intervalMs: '1s',
    ...(typeof m.count === 'number' ? { count: 2 } : {}),
    ...(typeof m.minSamples === 'number' ? { minSamples: Math.min(m.minSamples, 10) } : {}),
  });
  const analysis = (a: { metrics: Json[] }) => ({ ...a, metrics: a.metrics.map(metric) });
  const steps = (rollout.steps as Json[]).map((step) => {
    if ('analysis' in step) return { analysis: analysis(step.analysis as { metrics: Json[] }) };
    if ('pause' in step) return { pause: { durationMs: '2s' } };
    return step;
  });
  return {
    ...rollout,
    steps,
    backgroundAnalysis: analysis(rollout.backgroundAnalysis as { metrics: Json[] }),
    scaleDownDelayMs: '1s',
  };
}

interface DeployRecord {
  state: string;
  reason: string | null;
  facts: Record<string, unknown>;
  events: { type: string; data: Record<string, unknown> }[];
}

describe('canary deploy of the messaging service under load (the real steps, shortened)', () => {
  let box: Sandbox;

  before(async () => {
    box = await createSandbox({
      label: 'canary',
      releases: [
        { version: 'v1', stage: 'enabled' },
        { version: 'v2', stage: 'enabled' },
      ],
      editRollout: shorten,
      env: { STREAM_LEASE_MS: '3000', STREAM_LAG_SAMPLE_INTERVAL_MS: '500' },
    });
    const up = await box.cli(['up', '--release', 'v1']);
    assert.equal(up.code, 0, `cutover up:\n${up.stdout}\n${up.stderr}`);
  });
  after(() => box?.cleanup());

  test('10 % → analysis → 50 % → pause → 100 %, gates passing, nothing lost or duplicated', async (t) => {
    const stop = new AbortController();
    const load = runSendLoad({ baseUrl: `http://127.0.0.1:${box.httpPort}`, workers: 8, label: 'canary' }, stop.signal);
    let result: SendLoadResult;
    let record: DeployRecord | null = null;
    let deploy: Awaited<ReturnType<Sandbox['cli']>>;
    try {
      await sleep(1_000);
      const startedAt = Date.now();
      deploy = await box.cli(['deploy', 'v2', '--json']);
      t.diagnostic(`cutover deploy v2 (canary) took ${Date.now() - startedAt} ms`);
      try {
        record = JSON.parse(deploy.stdout).deployment;
      } catch {
        // reported below
      }
      await sleep(1_000);
    } finally {
      stop.abort();
      result = await load;
    }
    const events = record?.events ?? [];
    const story = events
      .filter((e) => e.type.startsWith('rollout:') || e.type.startsWith('analysis:') || e.type.startsWith('traffic:'))
      .map((e) => `${e.type} ${JSON.stringify(e.data).slice(0, 200)}`)
      .join('\n');
    assert.equal(record?.state, 'succeeded', `canary ended ${record?.state}: ${record?.reason}\n${story}\n${deploy.stderr.slice(-2000)}`);
    assert.equal(deploy.lingered, false, 'cutover deploy printed its result but did not exit within 10 s');
    assert.equal(deploy.code, 0, deploy.stderr.slice(-2000));
    assert.equal(record?.facts.strategy, 'canary');
    const weights = events.filter((e) => e.type === 'rollout:step' && typeof e.data.setWeight === 'number').map((e) => e.data.setWeight);
    assert.deepEqual(weights, [10, 50], story);
    assert.ok(
      events.some((e) => e.type === 'rollout:promoting'),
      story,
    );
    // The step's gates really measured: error rate and latency from the proxy, lag from the queue status.
    const verdicts = events.filter((e) => e.type === 'analysis:verdict').map((e) => `${e.data.analysis}: ${e.data.verdict}`);
    assert.ok(verdicts.length >= 1 && verdicts.every((v) => v.endsWith(': pass')), `verdicts ${verdicts.join(', ')}\n${story}`);
    const measured = JSON.stringify(events.filter((e) => e.type === 'analysis:measurement').map((e) => e.data));
    for (const name of ['error-rate', 'ingress-latency-p95', 'partition-lag'])
      assert.ok(measured.includes(`"${name}"`), `${name} was measured`);

    t.diagnostic(`${result.accepted.size} accepted, ${result.requests} requests, ${result.retried} retried, ${result.replays} replays`);
    assert.deepEqual(result.failures.slice(0, 10), []);
    assert.ok(result.accepted.size >= 100);
    await verifyDelivery(box, result, 'canary');

    const status = JSON.parse((await box.cli(['status', '--json'])).stdout);
    assert.equal(status.serving, 'v2');
    const instances = status.instances.map(
      (i: { spec: { release: string; processType: string } }) => `${i.spec.processType}@${i.spec.release}`,
    );
    assert.deepEqual(instances.sort(), ['api@v2', 'api@v2', 'consumer@v2', 'consumer@v2']);
  });
});
