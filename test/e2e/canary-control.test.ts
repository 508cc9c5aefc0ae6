// End to end: humans steering a canary (promote, promote --full, abort) under load, sticky and forced releases
// in the Node proxy, and a canary that gets no traffic. Real agent, real processes, the CLI in separate processes;
// the same scenario with each data plane (HAProxy refuses sticky and forced releases in the config).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { assertSameRecordAsNode, type DataPlaneName, dataPlanes, shareOf } from './support/data-planes.ts';
import { runLoad } from './support/load-generator.ts';
import { eventsOf, parseRecord, sleep, waitForStatus } from './support/rollout-helpers.ts';
import { collect, Sandbox } from './support/sandbox.ts';

const STICKY = `
  sticky: { cookie: cutover-release }
  forceReleaseHeader: x-cutover-release`;

const PAUSED_CONFIG = (dataPlane: DataPlaneName, sticky: boolean) => (port: number) =>
  `service: e2e-control
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 5s, intervalMs: 500ms }
    stopTimeoutMs: 5s
proxy:
  dataPlane: ${dataPlane}
  drainTimeoutMs: 5s
  websocketGraceMs: 1s${sticky ? STICKY : ''}
rollout:
  strategy: canary
  healthTimeoutMs: 10s
  steps:
    - setWeight: 30
    - pause: {}
    - setWeight: 60
    - pause: {}
agent: { httpPort: ${port} }
`;

/** A canary that no request reaches: the error-rate metric has no data, and onNoData decides. */
const NO_TRAFFIC_CONFIG = (dataPlane: DataPlaneName, onNoData: string) => (port: number) =>
  `service: e2e-control
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
  onInconclusive: pause
  steps:
    - setWeight: 10
    - analysis:
        metrics:
          - name: error-rate
            provider: { kind: proxy, metric: error-rate }
            max: 0.01
            minSamples: 20
            intervalMs: 300ms
            windowMs: 1s
            count: 1
            onNoData: ${onNoData}
            maxExtensions: 2
agent: { httpPort: ${port} }
`;

/** One GET through the proxy: status, the release that answered, and the Set-Cookie it got. */
function get(port: number, headers: Record<string, string> = {}): Promise<{ release: string; setCookie: string | null }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ release: String(res.headers['x-release']), setCookie: res.headers['set-cookie']?.[0]?.split(';')[0] ?? null }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

for (const { dataPlane, skip } of dataPlanes())
  describe(`steering a canary (dataPlane: ${dataPlane})`, { skip }, () => {
    const box = new Sandbox(`cutover-e2e-control-${dataPlane}-`);
    const useConfig = (body: (port: number) => string) => box.rewriteConfig(body);
    const sticky = dataPlane === 'node';

    before(async () => {
      for (const name of ['v1', 'v2', 'v3', 'v4', 'v5']) box.release(name, { bootDelayMs: 200 });
      await box.writeConfig(PAUSED_CONFIG(dataPlane, sticky));
      const up = await box.cli(['up', '--release', 'v1']);
      assert.equal(up.code, 0, `cutover up failed:\n${up.stdout}\n${up.stderr}`);
    });

    after(() => box.cleanup());

    test('paused canary under load: sticky cookie and forced release (node); promote moves on; abort wins with no failed request, twice is fine, a later promote does nothing', async () => {
      const stopLoad = new AbortController();
      const load = runLoad({ url: box.url, ratePerSec: 200, newConnectionShare: 0.3, slowShare: 0, durationMs: 110_000 }, stopLoad.signal);
      try {
        await steerUnderLoad();
      } finally {
        stopLoad.abort();
      }
      const result = await load;
      assert.equal(result.failed, 0, `failed requests: ${JSON.stringify(result.failures)} of ${result.sent}`);
      // Every request sent once the abort answered went to stable v1.
      const back = shareOf(result, 'v1', abortAnsweredAtMs, Number.POSITIVE_INFINITY, 0);
      assert.ok(back.requests > 0, 'requests were sent after the abort');
      assert.equal(back.share, 1, `v1's share after the abort: ${JSON.stringify(back)}`);
      assert.ok((result.byRelease.v2 ?? 0) > 0, 'the canary served while it had its weight');
    });

    let abortAnsweredAtMs = 0;
    async function steerUnderLoad(): Promise<void> {
      const deploy = collect(box.spawnCli(['deploy', 'v2', '--json']), 90_000);
      await waitForStatus(box, (s) => Boolean(s.rollout?.waitingFor) && s.route?.weights?.v2 === 30);
      if (sticky) await stickyAndForced();

      const promote = await box.cli(['promote', '--json']);
      assert.equal(promote.code, 0, promote.stdout + promote.stderr);
      assert.equal(JSON.parse(promote.stdout).signal.outcome, 'applied');
      await waitForStatus(box, (s) => Boolean(s.rollout?.waitingFor) && s.route?.weights?.v2 === 60);

      const abort = await box.cli(['abort', '--json']);
      abortAnsweredAtMs = Date.now();
      assert.equal(abort.code, 0, abort.stdout + abort.stderr);
      assert.equal(JSON.parse(abort.stdout).signal.outcome, 'applied');
      // Traffic is back on v1 once the abort answered.
      for (let i = 0; i < 10; i++) assert.equal((await get(box.httpPort)).release, 'v1');
      const again = await box.cli(['abort', '--json']);
      assert.equal(again.code, 0, `a second abort is harmless: ${again.stdout}${again.stderr}`);
      const late = await box.cli(['promote', '--json']);
      assert.notEqual(late.code, 0, 'a promote after an abort does nothing');

      const result = await deploy;
      assert.equal(result.code, 1, result.stderr);
      const record = parseRecord(result.stdout);
      assert.ok(record);
      assert.equal(record.state, 'rolled_back');
      assert.match(record.reason ?? '', /^aborted by .* \(cutover abort\)$/);
      const handled = eventsOf(record, 'signal:handled').map((e) => [e.data.kind, e.data.outcome]);
      assert.deepEqual(handled.slice(0, 2), [
        ['promote', 'applied'],
        ['abort', 'applied'],
      ]);
      const status = JSON.parse((await box.cli(['status', '--json'])).stdout);
      assert.equal(status.serving, 'v1');
      assert.equal(status.route.weights, null);
      assertSameRecordAsNode('abort', dataPlane, record);
    }

    /** The Node proxy's sticky cookie and forced release, while the canary is paused at 30 %. */
    async function stickyAndForced(): Promise<void> {
      // Sticky: each new client is assigned a release by weight and told so by a cookie; with it, it stays.
      const seen = new Set<string>();
      for (let client = 0; client < 20; client++) {
        const first = await get(box.httpPort);
        assert.ok(first.setCookie?.startsWith('cutover-release='), 'a new client gets the cookie');
        seen.add(first.release);
        for (let i = 0; i < 5; i++) assert.equal((await get(box.httpPort, { cookie: first.setCookie! })).release, first.release);
      }
      assert.deepEqual([...seen].sort(), ['v1', 'v2'], 'new clients are spread over both releases');
      // Forced: testers reach either release whatever the weights, and get no cookie.
      for (const release of ['v1', 'v2']) {
        for (let i = 0; i < 10; i++) {
          const forced = await get(box.httpPort, { 'x-cutover-release': release });
          assert.deepEqual(forced, { release, setCookie: null });
        }
      }
    }

    test('promote --full skips every remaining step', async () => {
      const deploy = collect(box.spawnCli(['deploy', 'v3', '--json']), 90_000);
      await waitForStatus(box, (s) => Boolean(s.rollout?.waitingFor));
      const promote = await box.cli(['promote', '--full', '--json']);
      assert.equal(promote.code, 0, promote.stdout + promote.stderr);
      assert.match(JSON.parse(promote.stdout).signal.note, /every remaining step skipped/);
      const result = await deploy;
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const record = parseRecord(result.stdout);
      assert.ok(record);
      assert.deepEqual(
        eventsOf(record, 'rollout:step-skipped').map((e) => e.data.step),
        [3, 4],
      );
      for (let i = 0; i < 5; i++) assert.equal((await get(box.httpPort)).release, 'v3');
    });

    test('a canary without traffic: onNoData fail aborts; extend ends inconclusive and waits for a human', async () => {
      useConfig(NO_TRAFFIC_CONFIG(dataPlane, 'fail'));
      const failed = await box.cli(['deploy', 'v4', '--json'], { timeoutMs: 60_000 });
      assert.equal(failed.code, 1, failed.stdout + failed.stderr);
      const record = parseRecord(failed.stdout);
      assert.ok(record);
      assert.equal(record.state, 'rolled_back');
      assert.match(record.reason ?? '', /fail: error-rate: no data: no requests reached release v4/);

      useConfig(NO_TRAFFIC_CONFIG(dataPlane, 'extend'));
      const deploy = collect(box.spawnCli(['deploy', 'v5', '--json']), 90_000);
      const paused = await waitForStatus(box, (s) => Boolean(s.rollout?.waitingFor));
      assert.match(paused.rollout?.waitingFor ?? '', /inconclusive: .*no extensions left/);
      const measurements = (paused.lastDeployment?.events ?? []).filter((e) => e.type === 'analysis:measurement');
      assert.equal(measurements.length, 3, 'the first measurement and two extensions');
      assert.ok(measurements.every((m) => m.data.verdict !== 'pass'));
      await sleep(300);
      const still = JSON.parse((await box.cli(['status', '--json'])).stdout);
      assert.notEqual(still.rollout.waitingFor, null, 'a pause for a human lasts until the human acts');
      assert.equal(still.lastDeployment.state, 'running');
      const promote = await box.cli(['promote', '--json']);
      assert.equal(promote.code, 0, promote.stdout + promote.stderr);
      const result = await deploy;
      assert.equal(result.code, 0, `a human chose to go on: ${result.stdout}${result.stderr}`);
    });

    test('Ctrl-C on cutover deploy leaves the canary running in the controller; cutover abort then ends it', async () => {
      useConfig(PAUSED_CONFIG(dataPlane, sticky));
      const child = box.spawnCli(['deploy', 'v2']);
      const deploy = collect(child, 90_000);
      await waitForStatus(box, (s) => Boolean(s.rollout?.waitingFor) && s.route?.weights?.v2 === 30);
      child.kill('SIGINT');
      const detached = await deploy;
      assert.equal(detached.code, 130, detached.stdout + detached.stderr);
      assert.match(detached.stderr, /keeps running in the controller/);
      assert.match(detached.stderr, /cutover abort/);
      // Still paused at 30 %: nothing was aborted by the Ctrl-C.
      const paused = JSON.parse((await box.cli(['status', '--json'])).stdout);
      assert.equal(paused.route.weights?.v2, 30);
      const watch = box.spawnCli(['watch', '--json']);
      const watched = collect(watch, 90_000);
      const abort = await box.cli(['abort']);
      assert.equal(abort.code, 0, abort.stdout + abort.stderr);
      const result = await watched;
      assert.equal(result.code, 1, result.stdout + result.stderr);
      const record = parseRecord(result.stdout);
      assert.ok(record);
      assert.equal(record.state, 'rolled_back');
      assert.match(record.reason ?? '', /cutover abort/);
      const status = JSON.parse((await box.cli(['status', '--json'])).stdout);
      assert.equal(status.serving, 'v5');
      assert.equal(status.route.weights, null);
    });

    test('HAProxy: a sticky release cookie or a forced release header is refused in the config, nothing changes', {
      skip: dataPlane !== 'haproxy' && 'HAProxy only',
    }, async () => {
      const before = JSON.parse((await box.cli(['status', '--json'])).stdout);
      useConfig(PAUSED_CONFIG(dataPlane, true));
      // The valid config is back whatever happens, so that the cleanup can stop the agent.
      const refused = await box.cli(['deploy', 'v4', '--json']).finally(() => useConfig(PAUSED_CONFIG(dataPlane, false)));
      assert.notEqual(refused.code, 0, refused.stdout + refused.stderr);
      const { error } = JSON.parse(refused.stdout) as {
        error: { code: string; message: string; details: { problems: { path: string }[] } };
      };
      assert.equal(error.code, 'CUT_ERR_CONFIG_INVALID', refused.stdout);
      assert.deepEqual(
        error.details.problems.map((p) => p.path),
        ['proxy.sticky', 'proxy.forceReleaseHeader'],
        refused.stdout,
      );
      const status = JSON.parse((await box.cli(['status', '--json'])).stdout);
      assert.equal(status.serving, before.serving, 'the refused deploy changed nothing');
      assert.equal(status.lastDeployment?.id, before.lastDeployment?.id, 'and recorded no deployment');
    });
  });
