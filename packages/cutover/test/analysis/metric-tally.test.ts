import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetricTally } from '../../src/analysis/analysis-result.ts';
import type { Judgement } from '../../src/analysis/judge-measurement.ts';
import { addToTally, classifyMeasurement, EMPTY_TALLY, finalVerdict, limitVerdict } from '../../src/analysis/metric-tally.ts';

const limits = { failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4 };
const judgement = (outcome: Judgement['outcome']): Judgement => ({ outcome, reason: `m: ${outcome}`, checks: [] });
const tally = (extra: Partial<MetricTally>): MetricTally => ({ ...EMPTY_TALLY, ...extra });

describe('classifyMeasurement (onNoData)', () => {
  test('no data is never a pass under any policy', () => {
    for (const onNoData of ['fail', 'inconclusive', 'extend'] as const) {
      const classified = classifyMeasurement(judgement('no-data'), { onNoData, maxExtensions: 3 }, EMPTY_TALLY);
      assert.notEqual(classified.verdict, 'pass', onNoData);
      assert.equal(classified.noData, true);
    }
  });

  test('fail counts a failure; inconclusive counts an inconclusive', () => {
    assert.deepEqual(classifyMeasurement(judgement('no-data'), { onNoData: 'fail', maxExtensions: 3 }, EMPTY_TALLY), {
      verdict: 'fail',
      noData: true,
      counted: true,
      extension: null,
      reason: 'm: no-data (onNoData: fail)',
    });
    const inconclusive = classifyMeasurement(judgement('no-data'), { onNoData: 'inconclusive', maxExtensions: 3 }, EMPTY_TALLY);
    assert.deepEqual([inconclusive.verdict, inconclusive.counted], ['inconclusive', true]);
  });

  test('extend measures again without spending count, up to maxExtensions in all, then is inconclusive', () => {
    const policy = { onNoData: 'extend' as const, maxExtensions: 2 };
    const first = classifyMeasurement(judgement('no-data'), policy, EMPTY_TALLY);
    assert.deepEqual(
      [first.verdict, first.counted, first.extension, first.reason],
      ['inconclusive', false, 1, 'm: no-data; measuring again (extension 1 of 2)'],
    );
    const second = classifyMeasurement(judgement('no-data'), policy, tally({ extensions: 1 }));
    assert.equal(second.extension, 2);
    const exhausted = classifyMeasurement(judgement('no-data'), policy, tally({ extensions: 2 }));
    assert.deepEqual([exhausted.counted, exhausted.extension, exhausted.reason], [true, null, 'm: no-data (no extensions left: 2 used)']);
  });

  test('errors are not counted toward count (they are retried)', () => {
    const classified = classifyMeasurement(judgement('error'), { onNoData: 'fail', maxExtensions: 0 }, EMPTY_TALLY);
    assert.deepEqual([classified.verdict, classified.counted], ['error', false]);
  });
});

describe('addToTally and the limits', () => {
  test('counts each verdict; a non-error resets the consecutive errors', () => {
    let t = EMPTY_TALLY;
    for (const outcome of ['error', 'error', 'pass', 'error', 'fail'] as const) {
      t = addToTally(t, classifyMeasurement(judgement(outcome), { onNoData: 'inconclusive', maxExtensions: 0 }, t));
    }
    assert.deepEqual(t, {
      measurements: 5,
      judged: 2,
      passed: 1,
      failed: 1,
      inconclusive: 0,
      errors: 3,
      consecutiveErrors: 0,
      extensions: 0,
    });
  });

  test('a limit decides as soon as it is exceeded, not when it is reached', () => {
    assert.equal(limitVerdict({ ...limits, failureLimit: 1 }, tally({ failed: 1 })), null);
    assert.equal(limitVerdict({ ...limits, failureLimit: 1 }, tally({ failed: 2 })), 'fail');
    assert.equal(limitVerdict(limits, tally({ consecutiveErrors: 4, errors: 4 })), null);
    assert.equal(limitVerdict(limits, tally({ consecutiveErrors: 5, errors: 5 })), 'error');
    assert.equal(limitVerdict(limits, tally({ inconclusive: 1 })), 'inconclusive');
  });
});

describe('finalVerdict', () => {
  const bounded = { ...limits, count: 3 as const };
  const background = { ...limits, count: 'until-stopped' as const };

  test('errors only is an error, complete or not (Argo Rollouts #4479)', () => {
    assert.equal(finalVerdict(bounded, tally({ errors: 3, consecutiveErrors: 3, measurements: 3 }), false), 'error');
    assert.equal(finalVerdict(background, tally({ errors: 2, consecutiveErrors: 2, measurements: 2 }), false), 'error');
  });

  test('a bounded metric stopped before its count is inconclusive, even after passes', () => {
    assert.equal(finalVerdict(bounded, tally({ judged: 2, passed: 2 }), false), 'inconclusive');
    assert.equal(finalVerdict(bounded, tally({ judged: 3, passed: 3 }), true), 'pass');
  });

  test('failures within failureLimit and no pass is still a fail', () => {
    assert.equal(finalVerdict({ ...bounded, failureLimit: 3 }, tally({ judged: 3, failed: 3 }), true), 'fail');
    assert.equal(finalVerdict({ ...bounded, failureLimit: 3 }, tally({ judged: 3, failed: 2, passed: 1 }), true), 'pass');
  });

  test('a background metric is judged on what it measured; nothing measured is inconclusive', () => {
    assert.equal(finalVerdict(background, tally({ judged: 5, passed: 5 }), false), 'pass');
    assert.equal(finalVerdict(background, EMPTY_TALLY, false), 'inconclusive');
  });
});
