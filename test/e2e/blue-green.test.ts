// End to end: blue-green releases under continuous load, real processes, the CLI as a user runs it.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { deployUnderLoad, eventsOf, waitForStatus } from './support/rollout-helpers.ts';
import { Sandbox } from './support/sandbox.ts';

const LOAD = { ratePerSec: 300, newConnectionShare: 0.3, slowShare: 0 };

const CONFIG = (autoPromote: boolean) => (port: number) =>
  `service: e2e-bluegreen
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 5s, intervalMs: 500ms }
    stopTimeoutMs: 5s
proxy: { drainTimeoutMs: 5s, websocketGraceMs: 1s }
rollout:
  strategy: blueGreen
  healthTimeoutMs: 10s
  autoPromote: ${autoPromote}
  smokeChecks:
    - { name: home, path: /, expectStatus: [200], bodyIncludes: '"version"' }
  postPromotionAnalysis:
    metrics:
      - name: latency-p99
        provider: { kind: proxy, metric: latency-p99 }
        max: 250
        minSamples: 100
        initialDelayMs: 2s
        intervalMs: 1s
        windowMs: 2s
        count: 1
        onNoData: extend
  scaleDownDelayMs: 2s
  onInconclusive: abort
agent: { httpPort: ${port} }
`;

describe('blue-green releases under load', () => {
  const box = new Sandbox('cutover-e2e-bluegreen-');

  before(async () => {
    box.release('v1', { bootDelayMs: 200 });
    box.release('v2-broken', { bootDelayMs: 200, errorRate: 1 });
    box.release('v2-slow', { bootDelayMs: 200, extraLatencyMs: 400 });
    box.release('v2', { bootDelayMs: 200 });
    await box.writeConfig(CONFIG(true));
    const up = await box.cli(['up', '--release', 'v1']);
    assert.equal(up.code, 0, `cutover up failed:\n${up.stdout}\n${up.stderr}`);
  });

  after(() => box.cleanup());

  test('a failing smoke check: no switch, the green set is stopped, the deployment fails', async () => {
    const { cli, load, record } = await deployUnderLoad(box, ['deploy', 'v2-broken'], LOAD);
    assert.equal(cli.code, 1, `deploy should fail:\n${cli.stdout}\n${cli.stderr}`);
    assert.ok(record);
    assert.match(record.state, /^(failed|rolled_back)$/);
    assert.match(record.reason ?? '', /smoke checks failed, traffic was not switched: home on v2-broken\.web\.\S+ .*answered 500/);
    assert.equal(eventsOf(record, 'rollout:switched').length, 0, 'never switched');
    assert.equal(load.failed, 0, JSON.stringify(load.failures));
    assert.deepEqual(Object.keys(load.byRelease), ['v1'], 'green took no user request');
    const status = JSON.parse((await box.cli(['status', '--json'])).stdout);
    assert.deepEqual(
      status.instances.map((i: { spec: { release: string } }) => i.spec.release),
      ['v1', 'v1'],
      'green stopped',
    );
    assert.equal(status.route.weights, null);
  });

  test('a failing post-promotion analysis switches back to blue at once', async () => {
    const { cli, load, record } = await deployUnderLoad(box, ['deploy', 'v2-slow'], LOAD);
    assert.equal(cli.code, 1, `deploy should fail:\n${cli.stdout}\n${cli.stderr}`);
    assert.ok(record);
    assert.equal(record.state, 'rolled_back', record.reason ?? '');
    assert.match(record.reason ?? '', /^analysis post-promotion: fail: latency-p99 .* > max 250ms on green v2-slow/);
    assert.equal(eventsOf(record, 'rollout:switched').length, 1, 'switched once');
    const weights = eventsOf(record, 'weights:set').map((e) => e.data.weights);
    assert.deepEqual(weights, [{ v1: 100 }, { 'v2-slow': 100 }, { v1: 100 }, null]);
    const verdict = eventsOf(record, 'analysis:verdict')[0];
    const back = eventsOf(record, 'weights:set')[2];
    assert.ok(back.at - verdict.at < 1000, `switched back ${back.at - verdict.at} ms after the verdict`);
    assert.equal(load.failed, 0, JSON.stringify(load.failures));
    assert.ok((load.byRelease['v2-slow'] ?? 0) > 0, 'green served between the switch and the verdict');
    assert.deepEqual([...new Set(load.lastReleases)], ['v1']);
  });

  test('autoPromote off: green waits for cutover promote, then takes all traffic with zero failed requests', async () => {
    writeFileSync(box.config, CONFIG(false)(box.httpPort)); // same agent, same port
    let greenBeforePromote = -1;
    const { cli, load, record } = await deployUnderLoad(box, ['deploy', 'v2'], LOAD, {
      during: async () => {
        const status = await waitForStatus(box, (s) => Boolean(s.rollout?.waitingFor));
        assert.match(status.rollout?.waitingFor ?? '', /autoPromote is off/);
        const probe = await fetch(`${box.url}/`);
        greenBeforePromote = probe.headers.get('x-release') === 'v2' ? 1 : 0;
        await probe.text();
        const promote = await box.cli(['promote', '--json']);
        assert.equal(promote.code, 0, `${promote.stdout}\n${promote.stderr}`);
        assert.equal(JSON.parse(promote.stdout).signal.outcome, 'applied');
      },
    });
    assert.equal(cli.code, 0, `deploy failed:\n${cli.stdout}\n${cli.stderr}`);
    assert.ok(record);
    assert.equal(record.state, 'succeeded');
    assert.equal(greenBeforePromote, 0, 'green took no request before the promote');
    assert.equal(load.failed, 0, JSON.stringify(load.failures));
    assert.deepEqual([...new Set(load.lastReleases)], ['v2']);
    const kinds = eventsOf(record, 'signal:handled').map((e) => [e.data.kind, e.data.outcome]);
    assert.deepEqual(kinds, [['promote', 'applied']]);
  });
});
