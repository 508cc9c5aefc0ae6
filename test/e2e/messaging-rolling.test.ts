// End to end: `cutover up` starts the service (api and consumers, migrations applied by the deploy),
// then a rolling `cutover deploy` replaces both process types one instance at a time while
// idempotent clients send messages through the proxy. Every accepted message is persisted exactly
// once, under the messageId its sender was given, in send order; nothing is lost or left pending.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSandbox, type Sandbox } from '../../services/messaging/test/support/sandbox.ts';
import { runSendLoad, type SendLoadResult } from '../../services/messaging/test/support/send-load.ts';
import { verifyDelivery } from '../../services/messaging/test/support/verify-delivery.ts';
import { sleep } from '../../services/messaging/test/support/wait-for.ts';

interface DeployRecord {
  state: string;
  reason: string | null;
  fromRelease: string;
  toRelease: string;
  steps: { name: string; outcome: string; reason?: string | null }[];
  events: { type: string; data: Record<string, unknown> }[];
}

/** The steps and the last events of a deployment record, for a failure message. */
function describeFailure(record: DeployRecord | null): string {
  if (!record) return '';
  const steps = record.steps.map((s) => `${s.name}: ${s.outcome}${s.reason ? ` (${s.reason})` : ''}`).join('\n');
  const events = record.events
    .slice(-15)
    .map((e) => `${e.type} ${JSON.stringify(e.data).slice(0, 300)}`)
    .join('\n');
  return `${steps}\n${events}`;
}

/** The load runs at least this long, and at least a second past the deploy. */
const MIN_LOAD_MS = 10_000;

describe('rolling deploy of the messaging service under load', () => {
  let box: Sandbox;

  before(async () => {
    box = await createSandbox({
      label: 'e2e',
      releases: [
        { version: 'v1', stage: 'enabled' },
        { version: 'v2', stage: 'enabled' },
      ],
      // The real file rolls out with an hour-long canary; this test exercises the rolling strategy.
      rollout: { strategy: 'rolling', batchSize: 1, healthTimeoutMs: '60s', pauseMs: '500ms', bakeMs: '0s' },
      env: { STREAM_LEASE_MS: '3000', STREAM_LAG_SAMPLE_INTERVAL_MS: '500' },
    });
    const up = await box.cli(['up', '--release', 'v1']);
    assert.equal(up.code, 0, `cutover up:\n${up.stdout}\n${up.stderr}`);
    const migrations = await box.cli(['migrate', 'status', '--release', 'v1']);
    assert.equal(migrations.code, 0, `migrations applied by the deploy:\n${migrations.stdout}`);
  });
  after(() => box?.cleanup());

  async function deployV2(t: { diagnostic(message: string): void }) {
    const startedAt = Date.now();
    const result = await box.cli(['deploy', 'v2', '--json']);
    t.diagnostic(`cutover deploy v2 took ${Date.now() - startedAt} ms`);
    let record: DeployRecord | null = null;
    try {
      record = JSON.parse(result.stdout).deployment;
    } catch {
      // no record: reported by the caller
    }
    return { ...result, record };
  }

  test('v1 → v2 (api, then consumers): nothing lost, nothing duplicated, order kept', async (t) => {
    const stop = new AbortController();
    const startedAt = Date.now();
    const load = runSendLoad({ baseUrl: `http://127.0.0.1:${box.httpPort}`, workers: 8, label: 'e2e' }, stop.signal);
    let result: SendLoadResult | undefined;
    let record: DeployRecord | null = null;
    try {
      await sleep(1_000);
      const deploy = await deployV2(t);
      record = deploy.record;
      if (record?.state !== 'succeeded')
        assert.fail(`deploy v2 ended ${record?.state ?? `without a record (exit ${deploy.code})`}: ${record?.reason ?? ''}
${describeFailure(record)}\n${deploy.stderr.slice(-3000)}\n${(await box.cli(['logs', '--lines', '30'], 30_000)).stdout.slice(-6000)}`);
      assert.equal(deploy.lingered, false, 'cutover deploy printed its result but did not exit within 10 s');
      assert.equal(deploy.code, 0, `deploy v2 exit code:\n${deploy.stderr}`);
      await sleep(Math.max(1_000, MIN_LOAD_MS - (Date.now() - startedAt)));
    } finally {
      stop.abort();
      result = await load;
    }
    assert.equal(record?.fromRelease, 'v1');
    assert.equal(record?.toRelease, 'v2');

    const summary = `${result.accepted.size} accepted, ${result.requests} requests, ${result.retried} retried attempts, ${result.replays} replays in ${result.durationMs} ms`;
    t.diagnostic(summary);
    assert.deepEqual(result.failures.slice(0, 10), [], summary);
    assert.ok(result.durationMs >= MIN_LOAD_MS, summary);
    assert.ok(result.accepted.size >= 200, `enough messages were sent: ${summary}`);

    await verifyDelivery(box, result, 'e2e');

    const status = JSON.parse((await box.cli(['status', '--json'])).stdout);
    assert.equal(status.serving, 'v2');
    const instances = status.instances.map(
      (i: { spec: { release: string; processType: string } }) => `${i.spec.processType}@${i.spec.release}`,
    );
    assert.deepEqual(instances.sort(), ['api@v2', 'api@v2', 'consumer@v2', 'consumer@v2']);
  });
});
