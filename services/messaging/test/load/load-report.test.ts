import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Criterion, formatLoadReport, judgeLoad, type LoadFigures, percentile } from './load-report.ts';

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

  test('PASS/MISS compares the figure as printed with the limit as printed, in both directions', () => {
    const consistent = (c: Criterion) => {
      const measured = Number.parseFloat(c.measured);
      const [, op, limit] = /^(>=|<|)\s*([\d.]+)/.exec(c.limit) ?? [];
      const expected = op === '>=' ? measured >= Number(limit) : op === '<' ? measured < Number(limit) : measured === Number(limit);
      assert.equal(c.pass, expected, `${c.name}: ${c.measured} against ${c.limit}`);
    };
    for (const rate of [4999.2, 4999.6, 4999.99, 5000, 5000.4])
      for (const p95 of [19.9, 19.91, 19.94, 19.96, 19.99, 20, 20.04]) {
        const judged = judgeLoad({ ...figures, enqueueRate: rate, latencyMs: { ...figures.latencyMs, p95 } });
        for (const c of [...judged.guide, ...judged.targets, ...judged.correctness]) consistent(c);
      }
    // A rate just under the limit is never printed as the limit; a p95 just under 20 ms is printed rounded up.
    assert.equal(judgeLoad({ ...figures, enqueueRate: 4999.6 }).targets[0].measured, '4999 msg/s');
    const p95 = judgeLoad({ ...figures, latencyMs: { ...figures.latencyMs, p95: 19.94 } }).targets[1];
    assert.deepEqual([p95.measured, p95.pass], ['20.0 ms', false]);
  });

  test('the 5,000 msg/s target is judged only when offered; the report carries its command, start and load', () => {
    const at500 = judgeLoad({ ...figures, targetRate: 500, enqueueRate: 499.9 });
    assert.deepEqual(
      at500.targets.map((c) => c.name),
      ['ingress latency p95', 'partition lag'],
    );
    const text = formatLoadReport(
      { ...figures, targetRate: 500 },
      { api: 2 },
      { command: 'npm run load -w services/messaging -- --rate 500', startedAt: '2026-12-03T09:00:00.000Z' },
    );
    assert.match(text, /command: npm run load -w services\/messaging -- --rate 500/);
    assert.match(text, /started 2026-12-03T09:00:00.000Z/);
    assert.match(text, /1-minute load average 1\.0 before, 2\.0 after/);
  });

  test('a run through the batch endpoint names its criteria and title so, and prints the CPU beside the service', () => {
    const batched = { ...figures, messagesPerRequest: 20 };
    assert.deepEqual(
      judgeLoad(batched).targets.map((c) => c.name),
      ['enqueue rate, 20/request', 'ingress latency p95, 20/request', 'partition lag'],
    );
    assert.deepEqual(
      judgeLoad(figures).targets.map((c) => c.name),
      ['enqueue rate', 'ingress latency p95', 'partition lag'],
    );
    const text = formatLoadReport(
      {
        ...batched,
        cpu: {
          apiSeconds: 1,
          consumerSeconds: 1,
          apiUsPerMessage: 100,
          consumerUsPerMessage: 50,
          senderSeconds: 1,
          senderUsPerMessage: 30,
          postgresSeconds: 1,
          postgresUsPerMessage: 220,
        },
      },
      { api: 2 },
      { command: 'npm run load -w services/messaging -- --per-request 20', startedAt: '2026-12-03T09:00:00.000Z' },
    );
    assert.match(text, /20 messages per request \(POST \/api\/messages\/batch\)/);
    assert.match(text, /load generator 1\.00 s = 30 us\/message, PostgreSQL backends 1\.00 s = 220 us\/message/);
    // 2 cores / (100 + 50 + 30 + 220 us) = 5000 msg/s.
    assert.match(text, /with the load generator and PostgreSQL 5000 msg\/s/);
  });
});
