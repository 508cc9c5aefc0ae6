import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeMeasurement } from '../../src/analysis/judge-measurement.ts';
import type { MeasurementValue } from '../../src/analysis/metric-provider.ts';
import { parseAnalysisDefinition } from '../../src/analysis/parse-analysis-definition.ts';
import type { AnalysisMetric } from '../../src/config/schema-analysis.ts';

function metric(
  extra: Record<string, unknown>,
  provider: Record<string, unknown> = { kind: 'proxy', metric: 'error-rate' },
): AnalysisMetric {
  return parseAnalysisDefinition({ metrics: [{ name: 'error-rate', provider, ...extra }] }).metrics[0];
}
const value = (v: number, sampleCount: number | null = 100, samples?: number[]): MeasurementValue => ({
  outcome: 'value',
  query: 'q',
  value: v,
  sampleCount,
  ...(samples ? { samples } : {}),
});
const noData: MeasurementValue = { outcome: 'no-data', query: 'q', reason: 'the query returned an empty vector (no series matched)' };
const failed: MeasurementValue = { outcome: 'error', query: 'q', reason: 'Prometheus answered HTTP 500' };

/** Deterministic pseudo-random latencies: `base` plus uniform noise of `spread` ms. */
function latencies(count: number, base: number, spread: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return Math.round((base + (state / 2 ** 31) * spread) * 100) / 100;
  });
}
const latencyMetric = (mannWhitney: Record<string, unknown>) => ({
  ...metric({ mannWhitney }, { kind: 'proxy', metric: 'latency-p50' }),
  name: 'latency',
});

describe('judgeMeasurement: absolute thresholds', () => {
  test('max is inclusive; above it fails with a readable reason', () => {
    const m = metric({ max: 0.01 });
    assert.deepEqual(judgeMeasurement(m, value(0.01), null).outcome, 'pass');
    const judged = judgeMeasurement(m, value(0.052), null);
    assert.equal(judged.outcome, 'fail');
    assert.equal(judged.reason, 'error-rate 5.2% > max 1%');
    assert.deepEqual(judged.checks, [{ condition: 'max', passed: false, actual: 0.052, limit: 0.01, text: 'error-rate 5.2% > max 1%' }]);
  });

  test('min fails below it', () => {
    const judged = judgeMeasurement(metric({ min: 0.99 }, { kind: 'proxy', metric: 'success-rate' }), value(0.95), null);
    assert.deepEqual([judged.outcome, judged.reason], ['fail', 'error-rate 95% < min 99%']);
  });

  test('an error, no data, or fewer than minSamples is never a pass', () => {
    const m = metric({ max: 0.01, minSamples: 50 });
    assert.deepEqual(judgeMeasurement(m, failed, null), {
      outcome: 'error',
      reason: 'error-rate: Prometheus answered HTTP 500',
      checks: [],
    });
    assert.equal(judgeMeasurement(m, noData, null).outcome, 'no-data');
    const few = judgeMeasurement(m, value(0, 49), null);
    assert.deepEqual([few.outcome, few.reason], ['no-data', 'error-rate: no data: only 49 samples (minSamples 50)']);
    assert.equal(judgeMeasurement(m, value(0, 50), null).outcome, 'pass');
  });
});

describe('judgeMeasurement: baseline-relative', () => {
  test('ratio to the baseline, with the baseline floor keeping a spotless baseline from making any blip infinite', () => {
    const m = metric({ maxRatioToBaseline: 2 });
    assert.equal(judgeMeasurement(m, value(0.03), value(0.02)).outcome, 'pass');
    const judged = judgeMeasurement(m, value(0.05), value(0.02));
    assert.deepEqual([judged.outcome, judged.reason], ['fail', 'error-rate ratio to baseline 2.5 (5% vs 2%) > max 2']);
    assert.equal(judgeMeasurement(m, value(0.001), value(0)).outcome, 'fail', 'anything above a zero baseline is infinitely worse');
    assert.equal(judgeMeasurement(m, value(0), value(0)).outcome, 'pass', '0 vs 0 is a ratio of 1');
    const floored = judgeMeasurement(metric({ maxRatioToBaseline: 2, baselineFloor: 0.005 }), value(0.004), value(0));
    assert.deepEqual([floored.outcome, floored.checks[0].actual], ['pass', 0.8]);
    const min = judgeMeasurement(metric({ minRatioToBaseline: 0.9 }, { kind: 'proxy', metric: 'requests' }), value(80), value(100));
    assert.deepEqual([min.outcome, min.reason], ['fail', 'error-rate ratio to baseline 0.8 (80 vs 100) < min 0.9']);
  });

  test('a baseline that errors is an error; one with no data or too few samples is no data', () => {
    const m = metric({ maxRatioToBaseline: 2, minSamples: 20 });
    assert.deepEqual(judgeMeasurement(m, value(0.01), failed).outcome, 'error');
    assert.deepEqual(judgeMeasurement(m, value(0.01), noData).outcome, 'no-data');
    assert.deepEqual(
      judgeMeasurement(m, value(0.01), value(0.01, 5)).reason,
      'error-rate: no data on the baseline: only 5 samples (minSamples 20)',
    );
  });

  test('an absolute failure fails even when the baseline has no data (Kayenta #799)', () => {
    const judged = judgeMeasurement(metric({ max: 0.01, maxRatioToBaseline: 2 }), value(0.2), noData);
    assert.deepEqual([judged.outcome, judged.reason], ['fail', 'error-rate 20% > max 1%']);
  });

  test('negative values cannot be compared by ratio', () => {
    assert.equal(judgeMeasurement(metric({ maxRatioToBaseline: 2 }), value(-1), value(1)).outcome, 'error');
  });
});

describe('judgeMeasurement: Mann-Whitney with an effect-size floor', () => {
  const baseline = latencies(400, 100, 40, 7);

  test('a large, significant slowdown fails, with p-value and medians recorded', () => {
    const canary = latencies(400, 160, 40, 11);
    const judged = judgeMeasurement(latencyMetric({ minEffect: 20 }), value(0, 400, canary), value(0, 400, baseline));
    assert.equal(judged.outcome, 'fail');
    const details = judged.checks[0].details as Record<string, number>;
    assert.ok(details.pValue < 1e-20, String(details.pValue));
    assert.ok(details.effect > 50 && details.effect < 70, String(details.effect));
    assert.match(
      judged.reason,
      /^latency: significant increase against the baseline \(p=.* < alpha 0\.05\), median .* reaches the effect floor 20ms$/,
    );
  });

  test('a tiny but real slowdown is significant, yet passes under the effect floor', () => {
    const many = latencies(4000, 100, 40, 3);
    const slightlySlower = latencies(4000, 101.5, 40, 5);
    const judged = judgeMeasurement(
      latencyMetric({ minEffect: 20, minEffectPercent: 10 }),
      value(0, 4000, slightlySlower),
      value(0, 4000, many),
    );
    const details = judged.checks[0].details as Record<string, number>;
    assert.ok(details.pValue < 0.05, `the difference is statistically real (p=${details.pValue})`);
    assert.equal(judged.outcome, 'pass');
    assert.match(judged.reason, /below the effect floor 20ms and 10%/);
  });

  test('no significant difference passes; a faster canary passes a one-sided "increase" test', () => {
    const same = judgeMeasurement(latencyMetric({ minEffect: 1 }), value(0, 400, latencies(400, 100, 40, 99)), value(0, 400, baseline));
    assert.equal(same.outcome, 'pass');
    assert.match(same.reason, /no significant increase/);
    const faster = judgeMeasurement(latencyMetric({ minEffect: 1 }), value(0, 400, latencies(400, 50, 40, 5)), value(0, 400, baseline));
    assert.equal(faster.outcome, 'pass');
  });

  test('direction decrease and a percentage floor', () => {
    const lower = latencies(400, 60, 40, 13);
    const m = latencyMetric({ direction: 'decrease', minEffectPercent: 25 });
    assert.equal(judgeMeasurement(m, value(0, 400, lower), value(0, 400, baseline)).outcome, 'fail');
    const m2 = latencyMetric({ direction: 'decrease', minEffectPercent: 60 });
    assert.equal(judgeMeasurement(m2, value(0, 400, lower), value(0, 400, baseline)).outcome, 'pass', 'a 33% drop is below a 60% floor');
  });

  test('fewer samples than the test needs is no data; a provider without samples is an error', () => {
    const m = latencyMetric({ minEffect: 1, minSamples: 30 });
    const few = judgeMeasurement(m, value(0, 29, latencies(29, 500, 1, 1)), value(0, 400, baseline));
    assert.deepEqual(
      [few.outcome, few.reason],
      ['no-data', 'latency: no data: 29 canary vs 400 baseline samples, the rank test needs 30 on each side'],
    );
    assert.equal(judgeMeasurement(m, value(0, 400), value(0, 400, baseline)).outcome, 'error');
  });
});
