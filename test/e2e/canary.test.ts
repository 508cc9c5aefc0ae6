// End to end: canary releases judged by the proxy's own metrics, under continuous load, real processes, the CLI;
// the same scenario with each data plane (the built-in Node proxy, HAProxy over its runtime API).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSameRecordAsNode, type DataPlaneName, dataPlanes, haproxyServers, readyWeights, shareOf } from './support/data-planes.ts';
import { type DeploymentJson, deployUnderLoad, eventsOf, sleep } from './support/rollout-helpers.ts';
import { Sandbox } from './support/sandbox.ts';

const RATE_PER_SEC = 300;
const CANARY_WEIGHT = 20;
const ANALYSIS_DELAY_MS = 3000;
const LOAD = { ratePerSec: RATE_PER_SEC, newConnectionShare: 0.3, slowShare: 0 };

// The error-rate and p99 gates of the compliance service, on 3 s windows so a test takes seconds.
// onInconclusive: abort keeps a starved measurement from waiting for a human forever.
const CONFIG = (dataPlane: DataPlaneName) => (port: number) =>
  `service: e2e-canary
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 5s, intervalMs: 500ms }
    stopTimeoutMs: 5s
proxy: { dataPlane: ${dataPlane}, drainTimeoutMs: 5s, websocketGraceMs: 1s }
rollout:
  strategy: canary
  healthTimeoutMs: 10s
  onInconclusive: abort
  steps:
    - setWeight: ${CANARY_WEIGHT}
    - analysis:
        metrics:
          - name: error-rate
            provider: { kind: proxy, metric: error-rate }
            max: 0.01
            minSamples: 100
            initialDelayMs: ${ANALYSIS_DELAY_MS}ms
            intervalMs: 1s
            windowMs: 3s
            count: 2
            onNoData: extend
          - name: latency-p99
            provider: { kind: proxy, metric: latency-p99 }
            max: 250
            minSamples: 100
            initialDelayMs: ${ANALYSIS_DELAY_MS}ms
            intervalMs: 1s
            windowMs: 3s
            count: 2
            failureLimit: 1
            onNoData: extend
    - setWeight: 50
    - pause: { durationMs: 2s }
agent: { httpPort: ${port} }
`;

/** When the canary got its share, and when every request went back to stable (record clock, epoch ms). */
function detectionWindow(record: DeploymentJson, canary: string): { fromMs: number; toMs: number } {
  const weights = eventsOf(record, 'weights:set');
  const share = weights.find((e) => ((e.data.weights as Record<string, number> | null)?.[canary] ?? 0) > 0);
  const back = weights.find((e) => String(e.data.reason).startsWith('abort:'));
  assert.ok(share && back, `weights events: ${JSON.stringify(weights)}`);
  return { fromMs: share.data.atMs as number, toMs: back.data.atMs as number };
}

/** Polls HAProxy until its ready servers split new requests `share` (0-1) to the lighter group, or throws after timeoutMs. */
async function waitForHaproxySplit(box: Sandbox, share: number, timeoutMs = 60_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let last: number[] = [];
  while (Date.now() < deadline) {
    last = await readyWeights(box, 'e2e-canary');
    const distinct = [...new Set(last)];
    const total = last.reduce((a, b) => a + b, 0);
    const light = last.filter((w) => w === distinct[0]).reduce((a, b) => a + b, 0);
    if (distinct.length === 2 && Math.abs(light / total - share) < 1e-9) return last;
    await sleep(50);
  }
  const servers = await haproxyServers(box, 'e2e-canary');
  throw new Error(`HAProxy never split ${share}: ready weights ${JSON.stringify(last)}, ${JSON.stringify(servers.slice(0, 6))}`);
}

for (const { dataPlane, skip } of dataPlanes())
  describe(`canary releases under load (dataPlane: ${dataPlane})`, { skip }, () => {
    const box = new Sandbox(`cutover-e2e-canary-${dataPlane}-`);

    before(async () => {
      box.release('v1', { bootDelayMs: 200 });
      box.release('v2-errors', { bootDelayMs: 200, errorRate: 0.05 });
      box.release('v2-slow', { bootDelayMs: 200, extraLatencyMs: 300 });
      box.release('v2', { bootDelayMs: 200 });
      await box.writeConfig(CONFIG(dataPlane));
      const up = await box.cli(['up', '--release', 'v1']);
      assert.equal(up.code, 0, `cutover up failed:\n${up.stdout}\n${up.stderr}`);
    });

    after(() => box.cleanup());

    test('5 % of 500s: aborted at its first analysis; failures stay within the canary share of the detection window', async () => {
      const { cli, load, record } = await deployUnderLoad(box, ['deploy', 'v2-errors'], LOAD);
      assert.equal(cli.code, 1, `deploy should fail:\n${cli.stdout}\n${cli.stderr}`);
      assert.ok(record, cli.stdout);
      assert.equal(record.state, 'rolled_back', record.reason ?? '');
      assert.equal(record.rolledBackTo, 'v1');
      assert.match(record.reason ?? '', /^analysis step 2: fail: error-rate .* > max 1% on canary v2-errors/);
      const verdicts = eventsOf(record, 'analysis:verdict');
      assert.deepEqual(
        verdicts.map((v) => [v.data.analysis, v.data.verdict]),
        [['step 2', 'fail']],
        'the first analysis decided',
      );

      const { fromMs, toMs } = detectionWindow(record, 'v2-errors');
      const windowS = (toMs - fromMs) / 1000;
      // One or two measurements after the initial delay, plus scheduling slack on a busy machine.
      assert.ok(windowS < ANALYSIS_DELAY_MS / 1000 + 4, `detection took ${windowS}s`);
      // Requests that reached the canary: its weight of the rate over the window (+0.5 s for requests in flight);
      // failures among them are binomial with p = 5 %: allow the mean plus four standard deviations.
      const canaryRequests = (CANARY_WEIGHT / 100) * RATE_PER_SEC * (windowS + 0.5);
      const mean = canaryRequests * 0.05;
      const bound = Math.ceil(mean + 4 * Math.sqrt(mean) + 2);
      assert.ok(
        load.failed <= bound,
        `${load.failed} failed requests, bound ${bound} (window ${windowS}s, ${JSON.stringify(load.failures)})`,
      );
      assert.deepEqual(Object.keys(load.failures), ['500'], JSON.stringify(load.failures));
      assert.deepEqual(Object.keys(load.failedByRelease), ['v2-errors'], 'stable v1 answered no error');
      assert.deepEqual([...new Set(load.lastReleases)], ['v1'], 'all traffic back on v1');
      assert.ok(eventsOf(record, 'analysis:measurement').length >= 1);
      assertSameRecordAsNode('errors', dataPlane, record);
    });

    test('+300 ms latency: aborted by the p99 gate', async () => {
      const { cli, load, record } = await deployUnderLoad(box, ['deploy', 'v2-slow'], LOAD);
      assert.equal(cli.code, 1, `deploy should fail:\n${cli.stdout}\n${cli.stderr}`);
      assert.ok(record);
      assert.equal(record.state, 'rolled_back', record.reason ?? '');
      assert.match(record.reason ?? '', /latency-p99 .* > max 250/);
      const p99 = eventsOf(record, 'analysis:measurement').filter((m) => m.data.metric === 'latency-p99');
      assert.ok(
        p99.every((m) => (m.data.value as number) > 300),
        `p99 values ${p99.map((m) => m.data.value)}`,
      );
      assert.equal(load.failed, 0, JSON.stringify(load.failures));
      assert.deepEqual([...new Set(load.lastReleases)], ['v1']);
      // From the abort on, every request went to stable v1 again.
      const { toMs } = detectionWindow(record, 'v2-slow');
      const after = shareOf(load, 'v1', toMs, Number.POSITIVE_INFINITY, 0);
      assert.ok(after.requests > 0, 'requests were sent after the abort');
      assert.equal(after.share, 1, `share of v1 after the abort: ${JSON.stringify(after)}`);
      assertSameRecordAsNode('slow', dataPlane, record);
    });

    test('a good release is promoted to 100 % with zero failed requests', async () => {
      let haproxyWeights: number[] | null = null;
      const { cli, load, record } = await deployUnderLoad(box, ['deploy', 'v2'], LOAD, {
        // HAProxy's own servers at the 20 % step: slot weights on its 0-256 scale that give the canary a fifth.
        during: async () => {
          if (dataPlane === 'haproxy') haproxyWeights = await waitForHaproxySplit(box, 0.2);
        },
      });
      assert.equal(cli.code, 0, `deploy failed:\n${cli.stdout}\n${cli.stderr}`);
      // [1, 2, 2]: one canary slot at 20, two v1 slots at 40 each, over their common divisor.
      if (dataPlane === 'haproxy') assert.deepEqual(haproxyWeights, [1, 2, 2], 'HAProxy had the 20 % split in its servers');
      assert.ok(record);
      assert.equal(record.state, 'succeeded');
      assert.equal(load.failed, 0, JSON.stringify(load.failures));
      assert.ok((load.byRelease.v2 ?? 0) > 0);
      assert.deepEqual([...new Set(load.lastReleases)], ['v2']);
      const weights = eventsOf(record, 'weights:set').map((e) => e.data.weights);
      assert.deepEqual(weights, [{ v1: 100 }, { v1: 80, v2: 20 }, { v1: 50, v2: 50 }, { v2: 100 }, null]);
      // The load generator's view of each step: the canary's share of the requests sent while it held.
      // A change holds from its answer (atMs) until the next change was asked for (its atMs less the call's tookMs).
      const sets = eventsOf(record, 'weights:set');
      const at = sets.map((e) => e.data.atMs as number);
      const asked = sets.map((e) => (e.data.atMs as number) - Math.ceil(Number(e.data.tookMs ?? 0)));
      for (const [step, percent] of [
        [1, 20],
        [2, 50],
      ]) {
        const { share, requests } = shareOf(load, 'v2', at[step], asked[step + 1]);
        assert.ok(requests >= 100, `only ${requests} requests at ${percent} %`);
        assert.ok(Math.abs(share - percent / 100) <= 0.1, `v2 took ${(share * 100).toFixed(1)} % of ${requests} requests at ${percent} %`);
      }
      assert.equal(shareOf(load, 'v2', at[3], Number.POSITIVE_INFINITY).share, 1, 'all of it once promoted');
      assertSameRecordAsNode('promoted', dataPlane, record);
      assert.equal(eventsOf(record, 'analysis:verdict')[0].data.verdict, 'pass');
      const status = JSON.parse((await box.cli(['status', '--json'])).stdout);
      assert.equal(status.serving, 'v2');
      assert.equal(status.route.weights, null, 'weights cleared after promotion');
      assert.equal(status.rollout.verdicts[0].verdict, 'pass');
    });
  });
