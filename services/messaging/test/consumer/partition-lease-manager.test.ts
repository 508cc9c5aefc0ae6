// A lease lost while its worker still finishes a batch: the partition is not taken again (a second
// worker beside the first could persist the same entries and number a conversation out of order)
// until that worker has stopped.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { PartitionLeaseManager } from '../../src/consumer/partition-lease-manager.ts';
import { buildStreamKeys } from '../../src/streams/stream-keys.ts';
import { redisPrefix } from '../support/redis-prefix.ts';
import { waitFor } from '../support/wait-for.ts';

describe('PartitionLeaseManager', () => {
  const redis = redisPrefix('lease');
  after(() => redis.cleanup());

  test('a lost partition is acquired again only after its worker has stopped', async () => {
    const keys = buildStreamKeys(redis.prefix, 4);
    const acquired: number[] = [];
    let finishStopping: () => void = () => undefined;
    const stopping = new Promise<void>((resolve) => {
      finishStopping = resolve;
    });
    const stopped: number[] = [];
    const manager = new PartitionLeaseManager({
      redis: redis.redis,
      keys,
      consumerId: 'me/write',
      leaseMs: 300,
      onAcquired: (p) => acquired.push(p),
      onStopping: async (p) => {
        if (p === 2) await stopping;
        stopped.push(p);
      },
    });
    const lost = new Promise<number>((resolve) => manager.once('lease:lost', ({ partition }) => resolve(partition)));
    try {
      await manager.start();
      assert.deepEqual([...acquired].sort(), [0, 1, 2, 3]);
      await redis.redis.del(keys.lease(2));
      assert.equal(await lost, 2);

      // Renewal rounds go on (the heartbeat's score moves twice), and partition 2 stays free meanwhile.
      const score = async () => Number(await redis.redis.zscore(keys.consumers, 'me/write'));
      const seen = await score();
      const next = await waitFor('a renewal round', async () => ((await score()) > seen ? score() : undefined), 10_000, 20);
      await waitFor('another renewal round', async () => ((await score()) > next ? true : undefined), 10_000, 20);
      assert.equal(await redis.redis.get(keys.lease(2)), null);
      assert.deepEqual(
        acquired.filter((p) => p === 2),
        [2],
      );

      finishStopping();
      await waitFor(
        'partition 2 acquired again',
        async () => (acquired.filter((p) => p === 2).length === 2 ? true : undefined),
        10_000,
        20,
      );
      assert.deepEqual(stopped, [2]);
      assert.equal(await redis.redis.get(keys.lease(2)), 'me/write');
    } finally {
      finishStopping();
      await manager.stop();
    }
  });
});
