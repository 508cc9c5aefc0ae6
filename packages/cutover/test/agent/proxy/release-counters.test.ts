import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { percentile } from '../../../src/agent/proxy/percentile.ts';
import { LATENCY_BUCKET_BOUNDS_MS, ReleaseCounters } from '../../../src/agent/proxy/release-counters.ts';

describe('ReleaseCounters', () => {
  test('counts requests by status class, proxy errors and cumulative latency buckets', () => {
    const counters = new ReleaseCounters();
    counters.record(200, 0.5, 1000, false);
    counters.record(201, 3, 1001, false);
    counters.record(404, 30, 1002, false);
    counters.record(502, 20_000, 1003, true);
    counters.record(101, 1, 1004, false);
    const snapshot = counters.snapshot();
    assert.equal(snapshot.requests, 5);
    assert.deepEqual(snapshot.byStatusClass, { '1xx': 1, '2xx': 2, '3xx': 0, '4xx': 1, '5xx': 1 });
    assert.equal(snapshot.proxyErrors, 1);
    assert.equal(snapshot.latencySumMs, 0.5 + 3 + 30 + 20_000 + 1);
    assert.equal(snapshot.latencyBucketsMs.length, LATENCY_BUCKET_BOUNDS_MS.length + 1);
    const count = (le: number): number | undefined => snapshot.latencyBucketsMs.find((b) => b.le === le)?.count;
    assert.equal(count(1), 2);
    assert.equal(count(2), 2);
    assert.equal(count(5), 3);
    assert.equal(count(50), 4);
    assert.equal(count(10000), 4);
    assert.equal(count(Number.POSITIVE_INFINITY), 5);
  });

  test('the sample ring keeps the newest samples, oldest first, filtered by time', () => {
    const counters = new ReleaseCounters(3);
    for (let i = 1; i <= 5; i++) counters.record(200 + i, i, 1000 + i, false);
    assert.deepEqual(
      counters.samples(),
      [3, 4, 5].map((i) => ({ atMs: 1000 + i, latencyMs: i, status: 200 + i })),
    );
    assert.deepEqual(
      counters.samples(1005).map((s) => s.status),
      [205],
    );
    assert.equal(counters.snapshot().requests, 5, 'counters stay cumulative when samples roll over');
  });

  test('snapshots are copies', () => {
    const counters = new ReleaseCounters();
    const before = counters.snapshot();
    counters.record(200, 1, 1, false);
    assert.equal(before.requests, 0);
    assert.equal(before.latencyBucketsMs.at(-1)?.count, 0);
  });
});

describe('percentile', () => {
  test('exact on samples and numbers, interpolating between ranks', () => {
    const values = [5, 1, 4, 2, 3];
    assert.equal(percentile(values, 0), 1);
    assert.equal(percentile(values, 0.5), 3);
    assert.equal(percentile(values, 1), 5);
    assert.equal(percentile(values, 0.25), 2);
    assert.equal(percentile([10, 20], 0.5), 15);
    assert.deepEqual(values, [5, 1, 4, 2, 3], 'input is not reordered');
    const samples = values.map((latencyMs) => ({ atMs: 0, latencyMs, status: 200 }));
    assert.equal(percentile(samples, 0.5), 3);
  });

  test('interpolates inside cumulative buckets', () => {
    const counters = new ReleaseCounters();
    for (let i = 0; i < 50; i++) counters.record(200, 20, 0, false); // (10, 25]
    for (let i = 0; i < 50; i++) counters.record(200, 80, 0, false); // (50, 100]
    const buckets = counters.snapshot().latencyBucketsMs;
    assert.equal(percentile(buckets, 0.5), 25);
    assert.equal(percentile(buckets, 0.25), 17.5);
    assert.equal(percentile(buckets, 0.9), 90);
  });

  test('a rank in the +Inf bucket yields the highest finite bound, also after JSON', () => {
    const counters = new ReleaseCounters();
    counters.record(200, 60_000, 0, false);
    const buckets = counters.snapshot().latencyBucketsMs;
    assert.equal(percentile(buckets, 0.99), 10000);
    assert.equal(percentile(JSON.parse(JSON.stringify(buckets)), 0.99), 10000);
  });

  test('no data gives null; q outside 0..1 is rejected', () => {
    assert.equal(percentile([], 0.5), null);
    assert.equal(percentile(new ReleaseCounters().snapshot().latencyBucketsMs, 0.5), null);
    assert.throws(() => percentile([1], 99), RangeError);
    assert.throws(() => percentile([1], Number.NaN), RangeError);
  });
});
