import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planRestart } from '../../../src/agent/supervisor/restart-policy.ts';

const policy = { maxRestarts: 3, backoffMs: 100, maxBackoffMs: 350, windowMs: 10_000 };
const middle = (): number => 0.5; // no jitter

describe('restart policy', () => {
  test('first exit restarts after backoffMs and records the exit', () => {
    assert.deepEqual(planRestart(policy, [], 1000, middle), {
      decision: { action: 'restart', delayMs: 100, attempt: 1 },
      recentExitsMs: [1000],
    });
  });

  test('backoff doubles per recent exit and is capped at maxBackoffMs', () => {
    assert.deepEqual(planRestart(policy, [1000], 2000, middle).decision, { action: 'restart', delayMs: 200, attempt: 2 });
    assert.deepEqual(planRestart(policy, [1000, 2000], 3000, middle).decision, { action: 'restart', delayMs: 350, attempt: 3 });
  });

  test('jitter stays within ±10% and under maxBackoffMs', () => {
    assert.deepEqual(planRestart(policy, [], 0, () => 0).decision, { action: 'restart', delayMs: 90, attempt: 1 });
    assert.deepEqual(planRestart(policy, [], 0, () => 0.999_999).decision, { action: 'restart', delayMs: 110, attempt: 1 });
    assert.deepEqual(planRestart(policy, [1, 2], 3, () => 0.999_999).decision, { action: 'restart', delayMs: 350, attempt: 3 });
  });

  test('more than maxRestarts exits within windowMs is a crash loop', () => {
    const plan = planRestart(policy, [1000, 2000, 3000], 4000, middle);
    assert.deepEqual(plan, {
      decision: { action: 'fail', reason: 'crash loop: exited 4 times within 10000 ms (maxRestarts: 3)' },
      recentExitsMs: [1000, 2000, 3000, 4000],
    });
  });

  test('exits older than windowMs are forgotten, and backoff starts over', () => {
    const plan = planRestart(policy, [1000, 2000, 3000], 13_500, middle);
    assert.deepEqual(plan, { decision: { action: 'restart', delayMs: 100, attempt: 1 }, recentExitsMs: [13_500] });
  });

  test('maxRestarts 0 fails on the first exit', () => {
    assert.deepEqual(planRestart({ ...policy, maxRestarts: 0 }, [], 5, middle).decision, {
      action: 'fail',
      reason: 'exited and restarts are disabled (maxRestarts: 0)',
    });
  });
});
