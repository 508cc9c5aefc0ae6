// Canary and blue-green strategies against a real agent (in this process) and real app processes:
// the cases where measuring goes wrong, instances fail, and testers reach green before the switch.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { reservePortRange } from '@cutover/service-kit/testing';
import { Agent } from '../../src/agent/agent.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import type { RolloutConfig } from '../../src/config/schema-rollout.ts';
import { buildRouteSpec } from '../../src/controller/steps/route-spec.ts';
import { agentBackend } from '../../src/platform/agent-backend.ts';
import { AgentClient, type AgentInstance } from '../../src/platform/agent-client.ts';
import { buildReleasePlan, type ReleasePlan } from '../../src/releases/release-plan.ts';
import { DeploymentSignals } from '../../src/store/deployment-signals.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';
import { restoreIdsAfter, restorePrevious } from '../../src/strategies/restore-previous.ts';
import { runStrategy } from '../../src/strategies/run-strategy.ts';

const DEMO_APP = fileURLToPath(new URL('../../../../examples/demo/demo-app.js', import.meta.url));
const TEST = { timeout: 60_000 };

const dir = mkdtempSync(join(tmpdir(), 'cutover-guarded-'));
const base = (rollout: string, proxy = '', drainTimeout = '2s') => `service: guarded
processes:
  web:
    command: ${JSON.stringify(`${process.execPath} server.js`)}
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 5s, intervalMs: 200ms }
    stopTimeoutMs: 2s
proxy: { drainTimeoutMs: ${drainTimeout}, websocketGraceMs: 100ms${proxy} }
rollout:
${rollout}
`;

function release(name: string, options: Record<string, unknown> = {}): string {
  const path = join(dir, 'releases', name);
  mkdirSync(path, { recursive: true });
  writeFileSync(
    join(path, 'server.js'),
    `import { serveDemo } from ${JSON.stringify(DEMO_APP)};\nserveDemo(${JSON.stringify({ version: name, ...options })});\n`,
  );
  return path;
}

let agent: Agent;
let httpPort: number;
let store: DeploymentStore;
let signals: DeploymentSignals;
const client = new AgentClient(join(dir, 'data'));
const backend = agentBackend(client);
let serving: ReleasePlan;
let deploymentId = 0;

function loadedWith(rollout: string, proxy = '', drainTimeout?: string) {
  return { ...parseConfigText(base(rollout, proxy, drainTimeout), join(dir, 'cutover.yml')), dataDir: join(dir, 'data') };
}

/** Runs one rollout from what serves to `name`; returns the result and the recorded events. */
async function roll(
  name: string,
  rollout: string,
  options: {
    proxy?: string;
    drainTimeout?: string;
    onEvent?: (type: string, data: Record<string, unknown>) => void;
    watchIntervalMs?: number;
  } = {},
) {
  const loaded = loadedWith(rollout, options.proxy, options.drainTimeout);
  await client.setRoute(buildRouteSpec(loaded));
  const plan = buildReleasePlan(loaded, name, join(dir, 'releases', name), process.env);
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const result = await runStrategy(
    {
      deploymentId: ++deploymentId,
      plan,
      previous: serving,
      backend,
      emit: (type, data) => {
        events.push({ type, data });
        options.onEvent?.(type, data);
      },
      watchIntervalMs: options.watchIntervalMs ?? 50,
    },
    loaded.config.rollout as RolloutConfig,
    { router: backend, signals, cwd: dir, signalPollMs: 20 },
  );
  if (result.outcome === 'ok') serving = plan;
  return { result, events, of: (type: string) => events.filter((e) => e.type === type) };
}

async function releasesRunning(): Promise<string[]> {
  return (await backend.instances('guarded')).map((i) => i.spec.release).sort();
}

/** A stand-in Prometheus: answers every instant query with `result` and remembers the queries. */
async function fakePrometheus(result: unknown[]): Promise<{ url: string; queries: string[]; close: () => Promise<void> }> {
  const queries: string[] = [];
  const server = http.createServer((req, res) => {
    queries.push(new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '');
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, queries, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * The agent's instances at the moment the rollout starts aborting (asked before the abort's own
 * calls reach the agent): what the agent made of a failed new instance by then.
 */
function listAtAbort(): { onEvent: (type: string) => void; listing: Promise<AgentInstance[]> } {
  let resolve: (value: Promise<AgentInstance[]>) => void = () => {};
  const listing = new Promise<AgentInstance[]>((r) => (resolve = r));
  return {
    listing,
    onEvent: (type) => {
      if (type === 'rollout:aborting') resolve(backend.instances('guarded'));
    },
  };
}

/**
 * With a watch slower than the supervisor's restart (1.5 s), a crashed instance would have been
 * restarted and back in the pool before the rollout saw it: a rollout instance is failed instead.
 */
function assertFailedNotRestarted(listing: AgentInstance[], release: string): void {
  const crashed = listing.filter((i) => i.spec.release === release && i.state !== 'healthy');
  assert.ok(crashed.length > 0, `a ${release} instance failed: ${JSON.stringify(listing.map((i) => [i.spec.id, i.state]))}`);
  for (const instance of crashed) {
    assert.equal(instance.restarts, 0, `${instance.spec.id} was not restarted`);
    assert.equal(instance.inPool, false, `${instance.spec.id} left the pool`);
    assert.ok(['failed', 'stopping', 'stopped'].includes(instance.state), `${instance.spec.id} is ${instance.state}`);
  }
}

before(async () => {
  for (const name of ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']) release(name);
  release('v-crash', { crashAfterReadyMs: 400 });
  agent = new Agent({
    dataDir: join(dir, 'data'),
    httpPort: 0,
    listenHost: '127.0.0.1',
    portRange: await reservePortRange(),
    logMaxBytes: 1024 * 1024,
    logKeepFiles: 1,
  });
  httpPort = (await agent.start()).httpPort;
  store = new DeploymentStore(join(dir, 'data', 'deployments.db'));
  signals = new DeploymentSignals(store.db);
  const loaded = loadedWith('  strategy: rolling');
  await client.setRoute(buildRouteSpec(loaded));
  serving = buildReleasePlan(loaded, 'v1', join(dir, 'releases', 'v1'), process.env);
  for (const [index, p] of serving.processes.entries()) {
    for (let i = 0; i < p.instances; i++) {
      const info = await backend.startInstance({ ...p.template, id: `v1.web.d0.${index}${i}` }, p.routed);
      assert.ok((await backend.waitHealthy(info.spec.id, 10_000)).healthy);
    }
  }
});

after(async () => {
  await agent?.stop({ stopInstances: true });
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('canary and blue-green against a real agent', () => {
  test(
    'every measurement errors (an http provider on a closed port): the verdict is error, never pass, and the canary is gone',
    TEST,
    async () => {
      const { result, of } = await roll(
        'v2',
        `  strategy: canary
  steps:
    - setWeight: 50
    - analysis:
        metrics:
          - name: app-errors
            provider: { kind: http, url: 'http://127.0.0.1:9/metrics?release={{release}}', jsonPath: $.value, timeoutMs: 500ms }
            max: 1
            intervalMs: 50ms
            errorRetryIntervalMs: 20ms
            consecutiveErrorLimit: 2`,
      );
      assert.equal(result.outcome, 'failed');
      assert.equal(result.restored, true);
      assert.match(result.reason ?? '', /^analysis step 2: error: app-errors: .* \(3 consecutive errors, limit 2\)/);
      assert.deepEqual(
        of('analysis:measurement').map((m) => m.data.verdict),
        ['error', 'error', 'error'],
      );
      assert.deepEqual(
        of('analysis:verdict').map((v) => v.data.verdict),
        ['error'],
      );
      assert.deepEqual(await releasesRunning(), ['v1', 'v1']);
      assert.equal((await client.state('guarded')).services[0].weights, null);
    },
  );

  test('an empty Prometheus result is no data: with onInconclusive abort the canary is aborted, not passed', TEST, async (t) => {
    const prometheus = await fakePrometheus([]);
    t.after(() => prometheus.close());
    const { result, of } = await roll(
      'v3',
      `  strategy: canary
  onInconclusive: abort
  steps:
    - setWeight: 10
    - analysis:
        prometheus: { address: ${prometheus.url} }
        metrics:
          - name: error-ratio
            provider: { kind: prometheus, query: 'sum(rate(errors{release="{{release}}"}[{{window}}]))' }
            max: 0.01
            intervalMs: 100ms`,
    );
    assert.equal(result.outcome, 'failed');
    assert.match(result.reason ?? '', /^analysis step 2: inconclusive: error-ratio: no data/);
    assert.deepEqual(prometheus.queries, ['sum(rate(errors{release="v3"}[100ms]))']);
    assert.equal(of('analysis:measurement')[0].data.noData, true);
    assert.deepEqual(await releasesRunning(), ['v1', 'v1']);
  });

  test(
    'rolling: a new instance that crashes while an old one drains fails the rollout at once; no more old capacity goes, v1 is back in full',
    TEST,
    async () => {
      // Every v1 instance holds a request: the drain of the first one retired lasts until the test lets go.
      const held = new AbortController();
      const holds: Promise<unknown>[] = [];
      const v1Busy = async () => {
        const targets = (await client.state('guarded')).services[0]!.targets.filter((t) => t.release === 'v1');
        return targets.length === 2 && targets.every((t) => t.inFlight > 0);
      };
      for (let sent = 0; !(await v1Busy()); ) {
        assert.ok(sent < 20, 'the held requests never covered both v1 instances');
        holds.push(fetch(`http://127.0.0.1:${httpPort}/slow?ms=120000`, { signal: held.signal }).catch(() => undefined));
        sent++;
        const inFlight = async () =>
          (await client.state('guarded')).services[0]!.targets.reduce((sum, t) => sum + (t.release === 'v1' ? t.inFlight : 0), 0);
        while ((await inFlight()) < sent) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      let drainingAtFailure: Promise<boolean> = Promise.resolve(false);
      let atFailure: Promise<AgentInstance[]> = Promise.resolve([]);
      const { result, of } = await roll('v-crash', '  strategy: rolling', {
        drainTimeout: '120s',
        // Slower than the supervisor's restart: a crashed instance restarted into traffic would be seen so.
        watchIntervalMs: 1500,
        onEvent: (type) => {
          if (type !== 'rollout:failed') return;
          drainingAtFailure = client
            .state('guarded')
            .then(({ services }) => services[0]!.targets.some((t) => t.release === 'v1' && t.draining && t.inFlight > 0));
          atFailure = backend.instances('guarded');
        },
      });
      try {
        assert.equal(result.outcome, 'failed');
        assert.match(result.reason ?? '', /^instance v-crash\.web\.d\d+\.\d+ crashed/);
        // The held request can only end when the test lets go: the rollout did not wait for that drain.
        assert.equal(await drainingAtFailure, true, 'the rollout failed while the old instance was still draining');
        assert.equal(of('instance:retiring').filter((e) => e.data.release === 'v1').length, 1, 'one old instance went, not the second');
        assertFailedNotRestarted(await atFailure, 'v-crash');
      } finally {
        held.abort();
        await Promise.all(holds);
      }
      // The instance that was draining stops now; v1 must still run two instances (the restore counted it as gone).
      const retired = of('instance:retiring').map((e) => e.data.id);
      const settled = async () => {
        const instances = await backend.instances('guarded');
        return instances.every((i) => i.state === 'healthy' && !retired.includes(i.spec.id));
      };
      while (!(await settled())) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(await releasesRunning(), ['v1', 'v1']);
    },
  );

  test('a canary instance that crashes during a pause aborts the rollout; the agent does not restart it into traffic', TEST, async () => {
    const atAbort = listAtAbort();
    const { result, of } = await roll(
      'v-crash',
      `  strategy: canary
  steps:
    - setWeight: 20
    - pause: { durationMs: 10s }`,
      { onEvent: atAbort.onEvent, watchIntervalMs: 1500 },
    );
    assert.equal(result.outcome, 'failed');
    assert.match(result.reason ?? '', /^instance v-crash\.web\.d\d+\.1 crashed/);
    assert.equal(of('rollout:aborted')[0].data.by, 'watch');
    assertFailedNotRestarted(await atAbort.listing, 'v-crash');
    assert.deepEqual(await releasesRunning(), ['v1', 'v1']);
  });

  test(
    'blue-green: a green instance that crashes after the switch is failed at once, never restarted; blue takes traffic back',
    TEST,
    async () => {
      const atAbort = listAtAbort();
      const { result, of } = await roll(
        'v-crash',
        `  strategy: blueGreen
  scaleDownDelayMs: 20s`,
        { onEvent: atAbort.onEvent, watchIntervalMs: 1500 },
      );
      assert.equal(result.outcome, 'failed');
      assert.match(result.reason ?? '', /^instance v-crash\.web\.d\d+\.\d+ crashed/);
      assert.equal(of('rollout:aborted')[0].data.by, 'watch');
      assert.deepEqual(
        of('instance:retiring').filter((e) => String(e.data.id).startsWith('v1.')),
        [],
        'no blue capacity was retired',
      );
      assertFailedNotRestarted(await atAbort.listing, 'v-crash');
      assert.deepEqual(await releasesRunning(), ['v1', 'v1']);
    },
  );

  test(
    'blue-green: testers reach green with the force header before the switch; the pre-promotion analysis judges their requests',
    TEST,
    async () => {
      let testers: Promise<void> | null = null;
      const { result, of } = await roll(
        'v4',
        `  strategy: blueGreen
  smokeChecks: [{ path: /up }]
  prePromotionAnalysis:
    metrics:
      - name: green-errors
        provider: { kind: proxy, metric: error-rate }
        max: 0
        minSamples: 20
        onNoData: extend
        maxExtensions: 50
        windowMs: 10s
        intervalMs: 100ms
  scaleDownDelayMs: 0ms`,
        {
          proxy: ', forceReleaseHeader: x-cutover-release',
          onEvent: (type) => {
            if (type !== 'analysis:started') return;
            testers = (async () => {
              for (let i = 0; i < 30; i++) {
                const response = await fetch(`http://127.0.0.1:${httpPort}/`, { headers: { 'x-cutover-release': 'v4' } });
                assert.equal(response.headers.get('x-release'), 'v4');
                await response.text();
              }
            })();
          },
        },
      );
      await testers;
      assert.equal(result.outcome, 'ok', result.reason);
      const measured = of('analysis:measurement').at(-1)?.data;
      assert.equal(measured?.verdict, 'pass');
      assert.ok((measured?.sampleCount as number) >= 20, `judged on ${measured?.sampleCount} forced requests`);
      assert.ok(
        of('analysis:measurement')
          .slice(0, -1)
          .every((m) => m.data.noData),
        'too few requests was no data, not a pass',
      );
      assert.deepEqual(
        of('weights:set').map((e) => e.data.weights),
        [{ v1: 100 }, { v4: 100 }, null],
      );
      assert.deepEqual(await releasesRunning(), ['v4', 'v4']);
    },
  );

  test('blue-green: an abort while blue is kept warm switches back in one call', TEST, async () => {
    // A request that green holds past the drain timeout (2 s) while the abort comes: green's drain
    // then lasts the whole drain timeout after the switch, so the two figures must differ by that much.
    let slow: Promise<unknown> = Promise.resolve();
    const { result, of } = await roll(
      'v5',
      `  strategy: blueGreen
  scaleDownDelayMs: 20s`,
      {
        onEvent: (type) => {
          if (type !== 'rollout:keeping-warm') return;
          slow = fetch(`http://127.0.0.1:${httpPort}/slow?ms=60000`).then(
            (r) => r.text(),
            () => undefined,
          );
          void (async () => {
            const greenInFlight = async () =>
              (await client.state('guarded')).services[0]!.targets.some((t) => t.release === 'v5' && t.inFlight > 0);
            while (!(await greenInFlight())) await new Promise((resolve) => setTimeout(resolve, 20));
            signals.send(deploymentId, 'abort', 'ops');
          })();
        },
      },
    );
    await slow;
    assert.equal(result.outcome, 'failed');
    assert.equal(result.reason, 'aborted by ops (cutover abort)');
    assert.deepEqual(
      of('weights:set').map((e) => e.data.weights),
      [{ v4: 100 }, { v5: 100 }, { v4: 100 }, null],
    );
    const aborted = of('rollout:aborted')[0].data;
    const { abortToSwitchMs, abortToDrainedMs } = aborted as { abortToSwitchMs: number; abortToDrainedMs: number };
    assert.ok(abortToSwitchMs >= 0, `abortToSwitchMs ${abortToSwitchMs}`);
    assert.ok(
      abortToDrainedMs - abortToSwitchMs >= 2000,
      `the switch (${abortToSwitchMs} ms) is not the end of green's drain (${abortToDrainedMs} ms), which waited for the held request`,
    );
    assert.deepEqual(await releasesRunning(), ['v4', 'v4']);
  });

  test('a Prometheus metric that passes lets the canary through to promotion', TEST, async (t) => {
    const prometheus = await fakePrometheus([{ metric: {}, value: [0, '0.001'] }]);
    t.after(() => prometheus.close());
    const { result, of } = await roll(
      'v6',
      `  strategy: canary
  steps:
    - setWeight: 25
    - analysis:
        prometheus: { address: ${prometheus.url} }
        metrics:
          - name: error-ratio
            provider: { kind: prometheus, query: 'errors{release="{{release}}",baseline="{{baseline}}"}' }
            max: 0.01
            intervalMs: 100ms
            count: 2`,
    );
    assert.equal(result.outcome, 'ok', result.reason);
    assert.deepEqual(new Set(prometheus.queries), new Set(['errors{release="v6",baseline="v4"}']));
    assert.deepEqual(
      of('analysis:verdict').map((v) => v.data.verdict),
      ['pass'],
    );
    assert.deepEqual(await releasesRunning(), ['v6', 'v6']);
  });
});

describe('restoring the previous release', () => {
  test('a resumed restore numbers its instances past those of the interrupted one (no id collision)', TEST, async () => {
    const id = 900;
    const previous = serving;
    const web = previous.processes[0];
    // What an interrupted restore of deployment 900 left: the serving instances gone, its first instance up.
    for (const instance of await backend.instances('guarded')) await backend.stopInstance(instance.spec.id);
    const left = await backend.startInstance({ ...web.template, id: `${previous.release}.web.d${id}.1001` }, true);
    assert.ok((await backend.waitHealthy(left.spec.id, 10_000)).healthy);
    const plan = buildReleasePlan(loadedWith('  strategy: rolling'), 'v-never', join(dir, 'releases', 'v-never'), process.env);
    const events: string[] = [];
    const restored = await restorePrevious({ deploymentId: id, plan, previous, backend, emit: (type) => events.push(type) });
    assert.equal(restored, true);
    const ids = (await backend.instances('guarded')).map((i) => i.spec.id).sort();
    assert.deepEqual(ids, [`${previous.release}.web.d${id}.1001`, `${previous.release}.web.d${id}.1002`]);
    assert.deepEqual(events, ['rollout:restoring', 'rollout:restored']);
  });

  test(
    'an old instance mid-drain counts as gone: the restore starts its replacement (told by the caller, or seen out of the pool)',
    TEST,
    async () => {
      const previous = serving;
      const plan = buildReleasePlan(loadedWith('  strategy: rolling'), 'v-never', join(dir, 'releases', 'v-never'), process.env);
      const ofPrevious = async () => (await backend.instances('guarded')).filter((i) => i.spec.release === previous.release);
      const healthyCount = async () => (await ofPrevious()).filter((i) => i.state === 'healthy').length;
      // Told by the caller: the instance is still healthy and in the pool (the agent has not been asked yet).
      const [told] = await ofPrevious();
      assert.ok(told?.inPool);
      assert.equal(
        await restorePrevious({ deploymentId: 901, plan, previous, backend, emit: () => undefined }, { retiring: new Set([told.spec.id]) }),
        true,
      );
      assert.equal(await healthyCount(), 3, 'a replacement for the one being retired');
      await backend.stopInstance(told.spec.id);
      // Seen at the agent: a request holds the drain of one instance; it is healthy but out of its pool.
      const held = new AbortController();
      const holds: Promise<unknown>[] = [];
      const busy = async () => (await client.state('guarded')).services[0]!.targets.filter((t) => t.inFlight > 0).length;
      while ((await busy()) < 2) {
        assert.ok(holds.length < 20, 'the held requests never covered both instances');
        holds.push(fetch(`http://127.0.0.1:${httpPort}/slow?ms=120000`, { signal: held.signal }).catch(() => undefined));
        while ((await client.state('guarded')).services[0]!.targets.reduce((n, t) => n + t.inFlight, 0) < holds.length)
          await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const [draining] = await ofPrevious();
      const stopping = backend.stopInstance(draining!.spec.id);
      const outOfPool = async () => (await ofPrevious()).some((i) => i.spec.id === draining!.spec.id && i.state === 'healthy' && !i.inPool);
      while (!(await outOfPool())) await new Promise((resolve) => setTimeout(resolve, 20));
      try {
        assert.equal(await restorePrevious({ deploymentId: 902, plan, previous, backend, emit: () => undefined }), true);
        assert.equal(
          (await ofPrevious()).filter((i) => i.inPool && i.state === 'healthy').length,
          2,
          'two serving besides the draining one',
        );
      } finally {
        held.abort();
        await Promise.all(holds);
        await stopping;
      }
      assert.deepEqual(
        (await ofPrevious()).map((i) => i.state),
        ['healthy', 'healthy'],
      );
    },
  );

  test('restore ids skip every known id of the deployment, whatever numbered it', () => {
    const next = restoreIdsAfter(['v1.web.d4.1001', 'v1.web.d4.1007', 'v2.web.d4.3', 'v1.web.d5.2000'], 4);
    assert.deepEqual([next('v1', 'web'), next('v1', 'worker')], ['v1.web.d4.1008', 'v1.worker.d4.1009']);
    assert.equal(restoreIdsAfter([], 4)('v1', 'web'), 'v1.web.d4.1001');
  });
});
