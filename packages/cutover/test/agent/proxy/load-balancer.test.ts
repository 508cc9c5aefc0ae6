import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Balanced, LoadBalancer } from '../../../src/agent/proxy/load-balancer.ts';

interface Fake extends Balanced {
  id: string;
  release: string;
  healthy: boolean;
  draining: boolean;
  ejectedUntilMs: number;
  inFlight: number;
}

function fake(id: string, release = 'r1', extra: Partial<Fake> = {}): Fake {
  return { id, release, healthy: true, draining: false, ejectedUntilMs: 0, inFlight: 0, ...extra };
}

function picks(lb: LoadBalancer<Fake>, targets: Fake[], count: number, nowMs = 1000): string[] {
  return Array.from({ length: count }, () => lb.pick(targets, nowMs)?.id ?? 'none');
}

describe('LoadBalancer', () => {
  test('equal load rotates round-robin', () => {
    const targets = [fake('a'), fake('b'), fake('c')];
    assert.deepEqual(picks(new LoadBalancer(), targets, 6), ['a', 'b', 'c', 'a', 'b', 'c']);
  });

  test('least outstanding requests wins; ties rotate', () => {
    const targets = [fake('a', 'r1', { inFlight: 3 }), fake('b', 'r1', { inFlight: 1 }), fake('c', 'r1', { inFlight: 1 })];
    const lb = new LoadBalancer<Fake>();
    assert.deepEqual(picks(lb, targets, 4), ['b', 'c', 'b', 'c']);
    targets[2].inFlight = 5;
    assert.deepEqual(picks(lb, targets, 2), ['b', 'b']);
  });

  test('skips unhealthy, draining, ejected and the excluded target', () => {
    const targets = [
      fake('sick', 'r1', { healthy: false }),
      fake('leaving', 'r1', { draining: true }),
      fake('ejected', 'r1', { ejectedUntilMs: 2000 }),
      fake('ok'),
    ];
    const lb = new LoadBalancer<Fake>();
    assert.deepEqual(picks(lb, targets, 3, 1000), ['ok', 'ok', 'ok']);
    assert.equal(lb.pick(targets, 1000, targets[3])?.id, 'ejected', 'with only ejected targets left, one is tried anyway');
    assert.deepEqual(new Set(picks(lb, targets, 4, 2000)), new Set(['ejected', 'ok']), 'ejection ends at ejectedUntilMs');
  });

  test('no eligible target gives null', () => {
    const lb = new LoadBalancer<Fake>();
    assert.equal(lb.pick([], 0), null);
    assert.equal(lb.pick([fake('a', 'r1', { healthy: false }), fake('b', 'r1', { draining: true })], 0), null);
    const only = fake('only');
    assert.equal(lb.pick([only], 0, only), null);
  });

  test('release weights split exactly and interleave (smooth weighted round-robin)', () => {
    const targets = [fake('old1', 'v1'), fake('old2', 'v1'), fake('new1', 'v2')];
    const lb = new LoadBalancer<Fake>();
    lb.setWeights({ v1: 75, v2: 25 });
    const first = picks(lb, targets, 4);
    assert.deepEqual(first, ['old1', 'old2', 'new1', 'old1']);
    const many = picks(lb, targets, 996);
    const counts = [...first, ...many].reduce<Record<string, number>>((acc, id) => {
      acc[id] = (acc[id] ?? 0) + 1;
      return acc;
    }, {});
    assert.equal(counts.new1, 250);
    assert.equal(counts.old1 + counts.old2, 750);
  });

  test('a weight of 0 sends nothing; a weighted release without eligible targets yields to the others', () => {
    const targets = [fake('old', 'v1'), fake('new', 'v2')];
    const lb = new LoadBalancer<Fake>();
    lb.setWeights({ v1: 100, v2: 0 });
    assert.deepEqual(picks(lb, targets, 3), ['old', 'old', 'old']);
    targets[0].healthy = false;
    assert.deepEqual(picks(lb, targets, 2), ['new', 'new']);
    lb.setWeights(null);
    targets[0].healthy = true;
    assert.deepEqual(new Set(picks(lb, targets, 4)), new Set(['old', 'new']));
  });

  test('weights read back as set, without zero entries', () => {
    const lb = new LoadBalancer<Fake>();
    assert.equal(lb.weights, null);
    lb.setWeights({ v1: 90, v2: 10, v3: 0 });
    assert.deepEqual(lb.weights, { v1: 90, v2: 10 });
  });
});
