import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideVerdict } from '../../src/strategies/analysis-gate.ts';
import { buildCanaryWeights } from '../../src/strategies/traffic-weights.ts';

test('canary weights: stable first, zero shares left out', () => {
  assert.deepEqual(buildCanaryWeights('v1', 'v2', 0), { v1: 100 });
  assert.deepEqual(buildCanaryWeights('v1', 'v2', 5), { v1: 95, v2: 5 });
  assert.deepEqual(Object.keys(buildCanaryWeights('v9', 'v10', 25)), ['v9', 'v10']);
  assert.deepEqual(buildCanaryWeights('v1', 'v2', 100), { v2: 100 });
});

test('verdicts: fail and error abort; inconclusive follows the policy; only pass goes on by itself', () => {
  for (const policy of ['abort', 'pause', 'promote'] as const) {
    assert.equal(decideVerdict('pass', policy), 'continue');
    assert.equal(decideVerdict('fail', policy), 'abort');
    assert.equal(decideVerdict('error', policy), 'abort');
  }
  assert.equal(decideVerdict('inconclusive', 'abort'), 'abort');
  assert.equal(decideVerdict('inconclusive', 'pause'), 'pause');
  assert.equal(decideVerdict('inconclusive', 'promote'), 'continue');
});
