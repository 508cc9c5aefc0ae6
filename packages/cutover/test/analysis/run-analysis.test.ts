import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MeasurementRecord } from '../../src/analysis/analysis-result.ts';
import { createMetricProviders } from '../../src/analysis/create-metric-providers.ts';
import { parseAnalysisDefinition } from '../../src/analysis/parse-analysis-definition.ts';
import { runAnalysis } from '../../src/analysis/run-analysis.ts';
import { summarizeVerdict } from '../../src/analysis/summarize-verdict.ts';
import type { AnalysisDefinition } from '../../src/config/schema-analysis.ts';
import { CutoverError } from '../../src/errors/cutover-error.ts';
import { type Answer, startFakePrometheus, startScriptedServer, valueBody, vector } from './analysis-fixtures.ts';
import { createVirtualClock } from './virtual-clock.ts';

const TEST = { timeout: 30_000 };
const providers = createMetricProviders();

function httpMetric(name: string, url: string, extra: Record<string, unknown>) {
  return { name, provider: { kind: 'http', url, jsonPath: '$.value' }, ...extra };
}

function analysis(...metrics: Record<string, unknown>[]): AnalysisDefinition {
  return parseAnalysisDefinition({ metrics });
}

describe('runAnalysis: schedule and records', () => {
  test('takes count measurements every interval after the initial delay, and records each in full', TEST, async () => {
    const server = await startScriptedServer({ '/v2/errors': [valueBody(0.001, 800)] });
    try {
      const clock = createVirtualClock();
      const startMs = clock.now();
      const seen: MeasurementRecord[] = [];
      const definition = analysis(
        httpMetric('error-rate', `${server.url}/{{release}}/errors?window={{window}}`, {
          unit: 'ratio',
          max: 0.01,
          count: 3,
          intervalMs: '30s',
          windowMs: '2m',
          initialDelayMs: '1m',
        }),
      );
      const result = await runAnalysis(definition, { providers, clock }, { release: 'v2', onMeasurement: (record) => seen.push(record) });
      assert.deepEqual(
        result.measurements.map((m) => m.startedAtMs - startMs),
        [60_000, 90_000, 120_000],
      );
      assert.deepEqual(clock.sleeps, [60_000, 30_000, 30_000]);
      assert.deepEqual(seen, result.measurements);
      assert.deepEqual([result.verdict, result.endedBy, result.decidedBy], ['pass', 'completed', null]);
      assert.equal(summarizeVerdict(result), 'pass: 1 metric passed on canary v2 (3 measurements): error-rate 0.1% <= max 1%');
      assert.deepEqual(result.measurements[0], {
        metric: 'error-rate',
        provider: 'http',
        index: 1,
        release: 'v2',
        baselineRelease: null,
        query: `GET ${server.url}/v2/errors?window=2m $.value`,
        baselineQuery: null,
        value: 0.001,
        baselineValue: null,
        sampleCount: null,
        baselineSampleCount: null,
        samples: null,
        baselineSamples: null,
        raw: { value: 0.001 },
        baselineRaw: null,
        thresholds: {
          min: undefined,
          max: 0.01,
          maxRatioToBaseline: undefined,
          minRatioToBaseline: undefined,
          baselineFloor: 0,
          mannWhitney: undefined,
          minSamples: undefined,
        },
        checks: [{ condition: 'max', passed: true, actual: 0.001, limit: 0.01, text: 'error-rate 0.1% <= max 1%' }],
        verdict: 'pass',
        noData: false,
        counted: true,
        extension: null,
        reason: 'error-rate 0.1% <= max 1%',
        dryRun: false,
        startedAtMs: startMs + 60_000,
        finishedAtMs: startMs + 60_000,
      });
    } finally {
      await server.close();
    }
  });

  test('stops every metric as soon as one fails (fail fast), with a one-line reason', TEST, async () => {
    const server = await startScriptedServer({ '/v2/errors': [valueBody(0.052)], '/v2/p99': [valueBody(120)] });
    try {
      const definition = analysis(
        httpMetric('error-rate', `${server.url}/{{release}}/errors`, { unit: 'ratio', max: 0.01, count: 3, failureLimit: 2 }),
        httpMetric('latency-p99', `${server.url}/{{release}}/p99`, { unit: 'ms', max: 500, count: 10 }),
      );
      const result = await runAnalysis(definition, { providers, clock: createVirtualClock() }, { release: 'v2' });
      assert.deepEqual([result.verdict, result.endedBy, result.decidedBy], ['fail', 'fail-fast', 'error-rate']);
      assert.equal(summarizeVerdict(result), 'fail: error-rate 5.2% > max 1% on canary v2 (3 of 3 measurements failed)');
      const p99 = result.metrics[1];
      assert.equal(p99.complete, false);
      assert.equal(p99.verdict, 'inconclusive');
      assert.ok(p99.measurements.length < 10, `p99 took ${p99.measurements.length} measurements`);
    } finally {
      await server.close();
    }
  });

  test('compares with the baseline measured the same way, and records both sides', TEST, async () => {
    const server = await startScriptedServer({ '/v2/errors': [valueBody(0.03)], '/v1/errors': [valueBody(0.01)] });
    try {
      const definition = analysis(httpMetric('error-rate', `${server.url}/{{release}}/errors`, { unit: 'ratio', maxRatioToBaseline: 2 }));
      const result = await runAnalysis(definition, { providers, clock: createVirtualClock() }, { release: 'v2', baselineRelease: 'v1' });
      const record = result.measurements[0];
      assert.deepEqual(
        [record.value, record.baselineValue, record.baselineRelease, record.baselineQuery],
        [0.03, 0.01, 'v1', `GET ${server.url}/v1/errors $.value`],
      );
      assert.equal(
        summarizeVerdict(result),
        'fail: error-rate ratio to baseline 3 (3% vs 1%) > max 2 on canary v2 (1 of 1 measurement failed)',
      );
    } finally {
      await server.close();
    }
  });

  test('a Mann-Whitney gate over latency samples, with the samples summarised in the record', TEST, async () => {
    const slow = Array.from({ length: 40 }, (_, i) => 200 + i);
    const fast = Array.from({ length: 40 }, (_, i) => 100 + i);
    const server = await startScriptedServer({ '/v2/latency': [{ body: { value: slow } }], '/v1/latency': [{ body: { value: fast } }] });
    try {
      const metric = httpMetric('latency', `${server.url}/{{release}}/latency`, { unit: 'ms', mannWhitney: { minEffect: 50 } });
      (metric.provider as Record<string, unknown>).reduce = 'avg';
      const result = await runAnalysis(
        analysis(metric),
        { providers, clock: createVirtualClock() },
        { release: 'v2', baselineRelease: 'v1' },
      );
      assert.equal(result.verdict, 'fail');
      const record = result.measurements[0];
      assert.deepEqual(record.samples, { count: 40, min: 200, p50: 219.5, p95: 237.05, p99: 238.61, max: 239 });
      assert.equal(record.checks[0].condition, 'mannWhitney');
      assert.ok(record.checks[0].actual < 1e-10);
    } finally {
      await server.close();
    }
  });

  test('a dryRun metric is measured and recorded but never decides, nor keeps the run going', TEST, async () => {
    const server = await startScriptedServer({ '/v2/errors': [valueBody(0.001)], '/v2/shadow': [valueBody(900)] });
    try {
      const definition = analysis(
        httpMetric('error-rate', `${server.url}/{{release}}/errors`, { unit: 'ratio', max: 0.01, count: 2 }),
        httpMetric('shadow-p99', `${server.url}/{{release}}/shadow`, { unit: 'ms', max: 500, count: 'until-stopped', dryRun: true }),
      );
      const result = await runAnalysis(definition, { providers, clock: createVirtualClock() }, { release: 'v2' });
      assert.deepEqual([result.verdict, result.endedBy], ['pass', 'completed']);
      assert.equal(result.metrics[1].verdict, 'fail');
      assert.match(summarizeVerdict(result), /^pass: 1 metric passed on canary v2 \(2 measurements\): .* \[dry run: shadow-p99 fail\]$/);
    } finally {
      await server.close();
    }
  });

  test('runs on the system clock by default', TEST, async () => {
    const server = await startScriptedServer({ '/v2/errors': [valueBody(0)] });
    try {
      const definition = analysis(httpMetric('error-rate', `${server.url}/{{release}}/errors`, { max: 0.01, count: 3, intervalMs: 50 }));
      const startedMs = Date.now();
      const result = await runAnalysis(definition, { providers }, { release: 'v2' });
      assert.equal(result.verdict, 'pass');
      const starts = result.measurements.map((m) => m.startedAtMs);
      assert.ok(starts[1] - starts[0] >= 45 && starts[2] - starts[1] >= 45, JSON.stringify(starts));
      assert.ok(Date.now() - startedMs < 10_000);
    } finally {
      await server.close();
    }
  });
});

describe('runAnalysis: errors and no data are never a pass', () => {
  test('every measurement erroring ends in error, never success (Argo Rollouts #4479)', TEST, async () => {
    const prom = await startFakePrometheus(() => ({
      status: 500,
      body: { status: 'error', errorType: 'internal', error: 'query timed out' },
    }));
    try {
      const clock = createVirtualClock();
      const definition = parseAnalysisDefinition({
        prometheus: { address: prom.url },
        metrics: [
          {
            name: 'error-rate',
            provider: { kind: 'prometheus', query: 'rate(errors{release="{{release}}"}[{{window}}])' },
            max: 0.01,
            count: 3,
          },
        ],
      });
      const result = await runAnalysis(definition, { providers, clock }, { release: 'v2' });
      assert.equal(result.verdict, 'error');
      assert.deepEqual(
        result.measurements.map((m) => m.verdict),
        ['error', 'error', 'error', 'error', 'error'],
      );
      assert.deepEqual(clock.sleeps, [10_000, 10_000, 10_000, 10_000], 'errors are retried after errorRetryIntervalMs');
      assert.equal(
        summarizeVerdict(result),
        'error: error-rate: Prometheus answered HTTP 500 status error: internal: query timed out on canary v2 (5 consecutive errors, limit 4)',
      );
    } finally {
      await prom.close();
    }
  });

  test('errors mixed with failures under a lenient failureLimit end in fail, not success', TEST, async () => {
    let asked = 0;
    const prom = await startFakePrometheus(() =>
      asked++ % 2 === 0 ? { status: 503, body: 'unavailable' } : { body: vector([{}, '0.2']) },
    );
    try {
      const definition = parseAnalysisDefinition({
        metrics: [
          { name: 'error-rate', provider: { kind: 'prometheus', address: prom.url, query: 'q' }, max: 0.01, count: 3, failureLimit: 5 },
        ],
      });
      const result = await runAnalysis(definition, { providers, clock: createVirtualClock() }, { release: 'v2' });
      assert.deepEqual(
        result.measurements.map((m) => m.verdict),
        ['error', 'fail', 'error', 'fail', 'error', 'fail'],
      );
      assert.equal(result.verdict, 'fail');
    } finally {
      await prom.close();
    }
  });

  test('an empty Prometheus result follows onNoData instead of aborting (Argo Rollouts #1466, #1905)', TEST, async () => {
    const script: Answer[] = [{ body: vector() }, { body: vector() }, { body: vector([{}, '0.002']) }];
    const runWith = async (onNoData: string, extra: Record<string, unknown> = {}) => {
      let asked = 0;
      const prom = await startFakePrometheus(() => script[Math.min(asked++, script.length - 1)]);
      try {
        const definition = parseAnalysisDefinition({
          metrics: [{ name: 'error-rate', provider: { kind: 'prometheus', address: prom.url, query: 'q' }, max: 0.01, onNoData, ...extra }],
        });
        return await runAnalysis(definition, { providers, clock: createVirtualClock() }, { release: 'v2' });
      } finally {
        await prom.close();
      }
    };
    const inconclusive = await runWith('inconclusive');
    assert.deepEqual([inconclusive.verdict, inconclusive.measurements.length], ['inconclusive', 1]);
    assert.match(summarizeVerdict(inconclusive), /^inconclusive: error-rate: no data: the query returned an empty vector/);
    const failed = await runWith('fail');
    assert.deepEqual([failed.verdict, failed.measurements[0].noData], ['fail', true]);
    const extended = await runWith('extend');
    assert.equal(extended.verdict, 'pass');
    assert.deepEqual(
      extended.measurements.map((m) => [m.verdict, m.counted, m.extension]),
      [
        ['inconclusive', false, 1],
        ['inconclusive', false, 2],
        ['pass', true, null],
      ],
    );
    const exhausted = await runWith('extend', { maxExtensions: 1 });
    assert.deepEqual(
      exhausted.measurements.map((m) => [m.verdict, m.counted]),
      [
        ['inconclusive', false],
        ['inconclusive', true],
      ],
    );
    assert.equal(exhausted.verdict, 'inconclusive');
    assert.match(summarizeVerdict(exhausted), /no extensions left: 1 used/);
  });

  test('a provider that throws gives error measurements, never a pass', TEST, async () => {
    const throwing = {
      ...providers,
      http: {
        measure: async () => {
          throw new TypeError('undefined is not a function');
        },
      },
    };
    const definition = analysis(httpMetric('m', 'http://127.0.0.1:9/x', { max: 1, consecutiveErrorLimit: 0 }));
    const result = await runAnalysis(definition, { providers: throwing, clock: createVirtualClock() }, { release: 'v2' });
    assert.equal(result.verdict, 'error');
    assert.equal(result.measurements[0].reason, 'm: the http provider failed: undefined is not a function');
  });
});

describe('runAnalysis: abort and refusals', () => {
  test('a background analysis stopped by the signal returns what it measured', TEST, async () => {
    const server = await startScriptedServer({ '/v2/errors': [valueBody(0.001)] });
    try {
      const controller = new AbortController();
      const definition = analysis(httpMetric('error-rate', `${server.url}/{{release}}/errors`, { max: 0.01, count: 'until-stopped' }));
      const result = await runAnalysis(
        definition,
        { providers, clock: createVirtualClock() },
        {
          release: 'v2',
          signal: controller.signal,
          onMeasurement: (record) => {
            if (record.index === 3) controller.abort();
          },
        },
      );
      assert.deepEqual([result.verdict, result.endedBy, result.measurements.length], ['pass', 'signal', 3]);
      assert.match(summarizeVerdict(result), /\[stopped early\]$/);
    } finally {
      await server.close();
    }
  });

  test('an abort during the initial delay ends inconclusive, having measured nothing', TEST, async () => {
    const server = await startScriptedServer({ '/v2/errors': [valueBody(0)] });
    try {
      const controller = new AbortController();
      const definition = analysis(
        httpMetric('error-rate', `${server.url}/{{release}}/errors`, { max: 0.01, count: 3, initialDelayMs: '1h' }),
      );
      setTimeout(() => controller.abort(), 50);
      const result = await runAnalysis(definition, { providers }, { release: 'v2', signal: controller.signal });
      assert.deepEqual(
        [result.verdict, result.endedBy, result.measurements.length, server.requests.length],
        ['inconclusive', 'signal', 0, 0],
      );
      assert.equal(summarizeVerdict(result), 'inconclusive: error-rate: stopped before its first measurement on canary v2 [stopped early]');
    } finally {
      await server.close();
    }
  });

  test('an abort during a measurement returns promptly and discards the cut-short measurement', TEST, async () => {
    const server = await startScriptedServer({ '/v2/errors': [{ hang: true }] });
    try {
      const controller = new AbortController();
      const definition = analysis(httpMetric('error-rate', `${server.url}/{{release}}/errors`, { max: 0.01, count: 3 }));
      const startedMs = Date.now();
      setTimeout(() => controller.abort(), 100);
      const result = await runAnalysis(definition, { providers }, { release: 'v2', signal: controller.signal });
      assert.ok(Date.now() - startedMs < 5000);
      assert.equal(server.requests.length, 1);
      assert.deepEqual([result.verdict, result.endedBy, result.measurements.length], ['inconclusive', 'signal', 0]);
    } finally {
      await server.close();
    }
  });

  test('an already aborted signal measures nothing', TEST, async () => {
    const definition = analysis(httpMetric('error-rate', 'http://127.0.0.1:9/x', { max: 0.01 }));
    const result = await runAnalysis(definition, { providers }, { release: 'v2', signal: AbortSignal.abort() });
    assert.deepEqual([result.verdict, result.measurements.length], ['inconclusive', 0]);
  });

  test('a definition that skipped validation (a metric without conditions) is refused, not run', async () => {
    const unchecked = { metrics: [{ name: 'p99', provider: { kind: 'proxy', metric: 'latency-p99' } }] } as unknown as AnalysisDefinition;
    await assert.rejects(
      runAnalysis(unchecked, { providers }, { release: 'v2' }),
      (error: unknown) =>
        error instanceof CutoverError && error.code === 'CUT_ERR_ANALYSIS_INVALID' && /has no conditions/.test(error.message),
    );
  });

  test('refuses a missing baseline, a baseline equal to the release, a missing service and a missing provider', async () => {
    const code = (expected: string) => (error: unknown) => error instanceof CutoverError && error.code === expected;
    const ratio = analysis(httpMetric('m', 'http://127.0.0.1:9/x', { maxRatioToBaseline: 2 }));
    await assert.rejects(runAnalysis(ratio, { providers }, { release: 'v2' }), code('CUT_ERR_ANALYSIS_BAD_TARGET'));
    await assert.rejects(runAnalysis(ratio, { providers }, { release: 'v2', baselineRelease: 'v2' }), code('CUT_ERR_ANALYSIS_BAD_TARGET'));
    const service = analysis(httpMetric('m', 'http://127.0.0.1:9/{{service}}', { max: 1 }));
    await assert.rejects(runAnalysis(service, { providers }, { release: 'v2' }), code('CUT_ERR_ANALYSIS_BAD_TARGET'));
    const proxy = analysis({ name: 'e', provider: { kind: 'proxy', metric: 'error-rate' }, max: 0.01 });
    await assert.rejects(runAnalysis(proxy, { providers }, { release: 'v2' }), code('CUT_ERR_ANALYSIS_PROVIDER_UNAVAILABLE'));
  });

  test('an onMeasurement callback that throws stops the run and rejects with its error', TEST, async () => {
    const server = await startScriptedServer({ '/v2/errors': [valueBody(0)] });
    try {
      const definition = analysis(httpMetric('error-rate', `${server.url}/{{release}}/errors`, { max: 0.01, count: 5 }));
      const boom = new Error('record store is full');
      await assert.rejects(
        runAnalysis(
          definition,
          { providers, clock: createVirtualClock() },
          {
            release: 'v2',
            onMeasurement: () => {
              throw boom;
            },
          },
        ),
        boom,
      );
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });
});
