import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planLeases } from '../../src/consumer/plan-leases.ts';

const none = (n: number) => Array<string | null>(n).fill(null);

describe('planLeases', () => {
  test('a lone consumer takes every free partition', () => {
    const plan = planLeases({ partitions: 4, owners: none(4), me: 'a', liveConsumers: 1 });
    assert.equal(plan.target, 4);
    assert.deepEqual([...plan.acquire].sort(), [0, 1, 2, 3]);
    assert.deepEqual(plan.release, []);
  });

  test('with a second consumer alive, the holder of everything gives up its highest partitions', () => {
    const owners = Array(16).fill('a');
    const plan = planLeases({ partitions: 16, owners, me: 'a', liveConsumers: 2 });
    assert.equal(plan.target, 8);
    assert.deepEqual(plan.release, [15, 14, 13, 12, 11, 10, 9, 8]);
    assert.deepEqual(plan.acquire, []);
  });

  test('the newcomer takes free partitions up to its share, and only free ones', () => {
    const owners = [...Array(8).fill('a'), ...none(8)];
    const plan = planLeases({ partitions: 16, owners, me: 'b', liveConsumers: 2 });
    assert.deepEqual(
      [...plan.acquire].sort((x, y) => x - y),
      [8, 9, 10, 11, 12, 13, 14, 15],
    );
    const partial = planLeases({ partitions: 16, owners: [...Array(14).fill('a'), null, null], me: 'b', liveConsumers: 2 });
    assert.deepEqual(
      [...partial.acquire].sort((x, y) => x - y),
      [14, 15],
    );
  });

  test('shares are ceil(partitions / consumers); partitions being released are neither kept nor taken', () => {
    assert.equal(planLeases({ partitions: 16, owners: none(16), me: 'a', liveConsumers: 3 }).target, 6);
    const plan = planLeases({ partitions: 4, owners: ['a', 'a', 'a', null], me: 'a', releasing: [2], liveConsumers: 2 });
    assert.deepEqual(plan, { target: 2, release: [], acquire: [] });
  });

  test('consumers starting together begin their search at different partitions', () => {
    const starts = new Set(
      ['a', 'b', 'c', 'consumer-1', 'consumer-2'].map(
        (me) => planLeases({ partitions: 16, owners: none(16), me, liveConsumers: 8 }).acquire[0],
      ),
    );
    assert.ok(starts.size >= 3, `start partitions ${[...starts]}`);
  });
});
