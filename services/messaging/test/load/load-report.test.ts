import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeLoad, type LoadFigures, percentile } from './load-report.ts';

const figures: LoadFigures = {
  targetRate: 5000,
  durationS: 20,
  sent: 100_000,
  accepted: 100_000,
  errors: 0,
  enqueueRate: 5000,
  latencyMs: { p50: 4, p95: 19.9, p99: 40, max: 90 },
  maxPartitionLag: 999,
  maxTotalLag: 3000,
  deadLetters: 0,
  lost: 0,
  duplicated: 0,
  drainMs: 100,
  machine: { loadBefore: 1, loadAfter: 2, cpus: 2 },
};

describe('load report', () => {
  test('nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(sorted, 50), 50);
    assert.equal(percentile(sorted, 95), 95);
    assert.equal(percentile(sorted, 100), 100);
    assert.equal(percentile([7], 95), 7);
    assert.equal(percentile([], 95), 0);
  });

  test('judges the guide criteria, our targets and correctness', () => {
    const judged = judgeLoad(figures);
    assert.ok([...judged.guide, ...judged.targets, ...judged.correctness].every((c) => c.pass));
    const slow = judgeLoad({ ...figures, latencyMs: { ...figures.latencyMs, p95: 20 }, maxPartitionLag: 1000, lost: 1 });
    assert.deepEqual(
      slow.targets.map((c) => c.pass),
      [true, false, false],
    );
    assert.deepEqual(
      slow.correctness.map((c) => c.pass),
      [true, false, true],
    );
    assert.equal(judgeLoad({ ...figures, enqueueRate: 400 }).guide[0].pass, false);
    // No hidden slack: a rate one message per second under the printed limit is a MISS.
    const short = judgeLoad({ ...figures, enqueueRate: 4999 }).targets[0];
    assert.equal(short.limit, '>= 5000 msg/s');
    assert.equal(short.pass, false);
  });
});
