// End to end: blue-green releases under continuous load, real processes, the CLI as a user runs it;
// the same scenario with each data plane (the built-in Node proxy, HAProxy over its runtime API).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSameRecordAsNode, type DataPlaneName, dataPlanes, haproxyServers, shareOf } from './support/data-planes.ts';
import { deployUnderLoad, eventsOf, sleep, waitForStatus } from './support/rollout-helpers.ts';
import { Sandbox } from './support/sandbox.ts';

const LOAD = { ratePerSec: 300, newConnectionShare: 0.3, slowShare: 0 };

const CONFIG = (dataPlane: DataPlaneName, autoPromote: boolean) => (port: number) =>
  `service: e2e-bluegreen
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 5s, intervalMs: 500ms }
    stopTimeoutMs: 5s
proxy: { dataPlane: ${dataPlane}, drainTimeoutMs: 5s, websocketGraceMs: 1s }
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

/**
 * Polls HAProxy until blue is kept warm: its slots still running and out of drain at weight 0 while
 * green's carry every request; returns the weights then (or throws after timeoutMs).
 */
async function waitForWarmBlue(box: Sandbox, timeoutMs = 60_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let last: number[] = [];
  while (Date.now() < deadline) {
    const running = (await haproxyServers(box, 'e2e-bluegreen')).filter((s) => s.opState === 2 && (s.adminState & 0x18) === 0);
    last = running.map((s) => s.weight).sort((a, b) => a - b);
    if (last.length === 4 && last[0] === 0 && last[1] === 0 && last[2] > 0) return last;
    await sleep(50);
  }
  throw new Error(`blue was never kept warm in HAProxy: running weights ${JSON.stringify(last)}`);
}

for (const { dataPlane, skip } of dataPlanes())
  describe(`blue-green releases under load (dataPlane: ${dataPlane})`, { skip }, () => {
    const box = new Sandbox(`cutover-e2e-bluegreen-${dataPlane}-`);

    before(async () => {
      box.release('v1', { bootDelayMs: 200 });
      box.release('v2-broken', { bootDelayMs: 200, errorRate: 1 });
      box.release('v2-slow', { bootDelayMs: 200, extraLatencyMs: 400 });
      box.release('v2', { bootDelayMs: 200 });
      await box.writeConfig(CONFIG(dataPlane, true));
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
      assertSameRecordAsNode('smoke', dataPlane, record);
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
      // The load generator's view: all on green from the switch, all on blue again from the switch back.
      const sets = eventsOf(record, 'weights:set');
      const asked = (i: number) => (sets[i].data.atMs as number) - Math.ceil(Number(sets[i].data.tookMs ?? 0));
      const onGreen = shareOf(load, 'v2-slow', sets[1].data.atMs as number, asked(2));
      assert.ok(onGreen.requests >= 100, `only ${onGreen.requests} requests between the switches`);
      assert.equal(onGreen.share, 1, `green's share between the switches: ${JSON.stringify(onGreen)}`);
      assert.equal(shareOf(load, 'v1', sets[2].data.atMs as number, Number.POSITIVE_INFINITY).share, 1, 'all back on blue');
      assertSameRecordAsNode('switch back', dataPlane, record);
    });

    test('autoPromote off: green waits for cutover promote, then takes all traffic with zero failed requests', async () => {
      box.rewriteConfig(CONFIG(dataPlane, false)); // same agent, same port
      let greenBeforePromote = -1;
      let warmBlue: number[] | null = null;
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
          // Scale-down delay in HAProxy: blue keeps its slots at weight 0, warm, until it is retired.
          if (dataPlane === 'haproxy') warmBlue = await waitForWarmBlue(box);
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
      if (dataPlane === 'haproxy') assert.deepEqual(warmBlue, [0, 0, 1, 1], 'two blue slots warm at 0, two green ones at 1');
      assert.equal(eventsOf(record, 'rollout:keeping-warm').length, 1, 'blue was kept warm for the scale-down delay');
      const switched = eventsOf(record, 'weights:set').find((e) => (e.data.weights as Record<string, number> | null)?.v2 === 100);
      assert.ok(switched);
      const onGreen = shareOf(load, 'v2', switched.data.atMs as number, Number.POSITIVE_INFINITY);
      assert.equal(onGreen.share, 1, `blue took requests after the switch: ${JSON.stringify(onGreen)}`);
      assertSameRecordAsNode('promote', dataPlane, record);
    });
  });
