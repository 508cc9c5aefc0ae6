// Canary and blue-green strategies against a real agent (in this process) and real app processes:
// the cases where measuring goes wrong, instances fail, and testers reach green before the switch.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AgentInstance } from '../../src/platform/agent-client.ts';
import {
  assertFailedNotRestarted,
  backend,
  client,
  deploymentId,
  fakePrometheus,
  httpPort,
  listAtAbort,
  releasesRunning,
  roll,
  signals,
  TEST,
  useGuardedAgent,
} from './support/guarded-agent.ts';

useGuardedAgent();

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
