import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Balanced, LoadBalancer } from '../../../src/agent/proxy/load-balancer.ts';
import { hashFraction, ReleaseAffinity, readCookie } from '../../../src/agent/proxy/release-affinity.ts';

interface Fake extends Balanced {
  id: string;
}

function fake(id: string, release: string, extra: Partial<Balanced> = {}): Fake {
  return { id, release, healthy: true, draining: false, ejectedUntilMs: 0, inFlight: 0, ...extra };
}

const TARGETS = [fake('a1', 'v1'), fake('a2', 'v1'), fake('b1', 'v2')];

function balancer(weights: Record<string, number> | null): LoadBalancer<Fake> {
  const lb = new LoadBalancer<Fake>();
  lb.setWeights(weights);
  return lb;
}

describe('readCookie and hashFraction', () => {
  test('finds one cookie among others, decoded; absent or malformed is null', () => {
    assert.equal(readCookie('a=1; cutover-release=v2; b=3', 'cutover-release='), 'v2');
    assert.equal(readCookie('cutover-release=rel%2F1', 'cutover-release='), 'rel/1');
    assert.equal(readCookie('xcutover-release=v2', 'cutover-release='), null);
    assert.equal(readCookie('a=1', 'cutover-release='), null);
    assert.equal(readCookie('cutover-release=%E0%A4%A', 'cutover-release='), null);
  });

  test('the hash is stable and spreads over [0, 1)', () => {
    assert.equal(hashFraction('user-42'), hashFraction('user-42'));
    const values = Array.from({ length: 2000 }, (_, i) => hashFraction(`user-${i}`));
    assert.ok(values.every((v) => v >= 0 && v < 1));
    const low = values.filter((v) => v < 0.25).length / values.length;
    assert.ok(low > 0.2 && low < 0.3, `${low} of the users in the first quarter`);
  });
});

describe('LoadBalancer release helpers', () => {
  test('releaseAt gives consecutive slices in the order the weights were given', () => {
    const lb = balancer({ v1: 75, v2: 25 });
    assert.equal(lb.releaseAt(0), 'v1');
    assert.equal(lb.releaseAt(0.749), 'v1');
    assert.equal(lb.releaseAt(0.75), 'v2');
    assert.equal(lb.releaseAt(0.999), 'v2');
    assert.equal(balancer(null).releaseAt(0.5), null);
  });

  test('a client in the canary slice stays there while the canary weight grows', () => {
    const users = Array.from({ length: 1000 }, (_, i) => hashFraction(`user-${i}`));
    const onCanary = (weights: Record<string, number>) => new Set(users.filter((u) => balancer(weights).releaseAt(u) === 'v2'));
    const at5 = onCanary({ v1: 95, v2: 5 });
    const at25 = onCanary({ v1: 75, v2: 25 });
    assert.ok(at5.size > 20 && at25.size > 200);
    for (const user of at5) assert.ok(at25.has(user));
  });

  test('isWeighted and pickInRelease', () => {
    const lb = balancer({ v1: 100, v2: 0 });
    assert.equal(lb.isWeighted('v1'), true);
    assert.equal(lb.isWeighted('v2'), false, 'weight 0 is no share');
    assert.equal(lb.pickInRelease(TARGETS, 1000, 'v2')?.id, 'b1');
    assert.equal(lb.pickInRelease(TARGETS, 1000, 'v3'), null);
    assert.equal(lb.pickInRelease([fake('b1', 'v2', { healthy: false })], 1000, 'v2'), null);
  });
});

describe('ReleaseAffinity', () => {
  test('a route without affinity has none (the plain path)', () => {
    assert.equal(ReleaseAffinity.of({}), null);
  });

  test('a forced release wins over weights, even at weight 0, and sets no cookie', () => {
    const affinity = ReleaseAffinity.of({ forceReleaseHeader: 'X-Cutover-Release', stickyCookie: 'cr' })!;
    const pick = affinity.pick(balancer({ v1: 100 }), TARGETS, 1000, ['Host', 'x', 'x-cutover-release', ' v2 ']);
    assert.deepEqual(
      { id: pick.target?.id, release: pick.release, setCookie: pick.setCookie },
      { id: 'b1', release: 'v2', setCookie: null },
    );
  });

  test('a forced release without an eligible target falls back to the weights', () => {
    const affinity = ReleaseAffinity.of({ forceReleaseHeader: 'x-cutover-release' })!;
    const pick = affinity.pick(balancer({ v1: 100 }), TARGETS, 1000, ['x-cutover-release', 'v9']);
    assert.equal(pick.target?.release, 'v1');
  });

  test('the cookie: set for a new client, honoured while its release has a share, replaced when not', () => {
    const affinity = ReleaseAffinity.of({ stickyCookie: 'cr' })!;
    const lb = balancer({ v1: 50, v2: 50 });
    const first = affinity.pick(lb, TARGETS, 1000, []);
    assert.equal(first.setCookie, `cr=${first.target?.release}; Path=/; HttpOnly; SameSite=Lax`);
    for (let i = 0; i < 10; i++) {
      const again = affinity.pick(lb, TARGETS, 1000, ['Cookie', `x=1; cr=${first.release}`]);
      assert.equal(again.target?.release, first.release);
      assert.equal(again.setCookie, null);
    }
    const gone = balancer({ v1: 60, v3: 40 });
    const replaced = affinity.pick(gone, TARGETS, 1000, ['cookie', 'cr=v2']);
    assert.notEqual(replaced.target?.release, 'v2');
    assert.equal(replaced.setCookie, `cr=${replaced.target?.release}; Path=/; HttpOnly; SameSite=Lax`);
    const aborted = balancer({ v1: 100 });
    const moved = affinity.pick(aborted, TARGETS, 1000, ['cookie', 'cr=v2']);
    assert.equal(moved.target?.release, 'v1');
    assert.equal(moved.setCookie, 'cr=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax', 'no split any more: moved, and the cookie cleared');
  });

  test('without a split nothing is sticky: no cookie is set, a held one is cleared', () => {
    const affinity = ReleaseAffinity.of({ stickyCookie: 'cr', stickyHeader: 'x-user' })!;
    const pick = affinity.pick(balancer(null), TARGETS, 1000, ['cookie', 'cr=v2', 'x-user', 'u1']);
    assert.equal(pick.setCookie, 'cr=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax');
    assert.equal(pick.release, null);
    for (const weights of [null, { v1: 100 }, { v1: 100, v2: 0 }] as (Record<string, number> | null)[]) {
      const fresh = affinity.pick(balancer(weights), TARGETS, 1000, []);
      assert.equal(fresh.setCookie, null, JSON.stringify(weights));
    }
  });

  test('the sticky header hashes a user onto one release, the same one every time', () => {
    const affinity = ReleaseAffinity.of({ stickyHeader: 'X-User' })!;
    const lb = balancer({ v1: 70, v2: 30 });
    const byUser = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (let user = 0; user < 200; user++) {
        const release = affinity.pick(lb, TARGETS, 1000, ['x-user', `u${user}`]).target!.release;
        if (round === 0) byUser.set(`u${user}`, release);
        else assert.equal(release, byUser.get(`u${user}`));
      }
    }
    const share = [...byUser.values()].filter((r) => r === 'v2').length / byUser.size;
    assert.ok(share > 0.2 && share < 0.4, `${share} of the users on v2`);
  });
});
