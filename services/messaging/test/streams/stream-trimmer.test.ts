// Trimming on Redis 7.0 deletes entries whatever the PEL says, so the threshold must stay at or
// below every group's oldest pending entry. Pure threshold cases, then a real stream.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compareStreamIds } from '../../src/streams/stream-id.ts';
import { readGroupPositions, trimStream, trimThreshold } from '../../src/streams/stream-trimmer.ts';
import { type RedisPrefix, redisPrefix } from '../support/redis-prefix.ts';

describe('trimThreshold', () => {
  const group = (name: string, lastDeliveredId: string, pending = 0, oldestPendingId: string | null = null) => ({
    name,
    lastDeliveredId,
    pending,
    oldestPendingId,
  });

  test('is the oldest pending id, or the last delivered id when nothing is pending, over every group', () => {
    assert.equal(trimThreshold([group('g', '100-5')]), '100-5');
    assert.equal(trimThreshold([group('g', '100-5', 2, '90-0')]), '90-0');
    assert.equal(trimThreshold([group('a', '100-5', 1, '95-1'), group('b', '80-0')]), '80-0');
    assert.equal(trimThreshold([group('a', '100-5', 1, '95-1'), group('b', '200-0', 3, '20-7')]), '20-7');
  });

  test('keeps everything when no group has read, or when only ignored groups exist', () => {
    assert.equal(trimThreshold([]), null);
    assert.equal(trimThreshold([group('g', '0-0')]), null);
    assert.equal(trimThreshold([group('shadow', '100-0')], ['shadow']), null);
    assert.equal(trimThreshold([group('shadow', '5-0'), group('g', '100-0')], ['shadow']), '100-0');
  });

  test('compares ids numerically, not as text', () => {
    assert.ok(compareStreamIds('9-0', '10-0') < 0);
    assert.ok(compareStreamIds('10-2', '10-10') < 0);
    assert.equal(compareStreamIds('7-3', '7-3'), 0);
    assert.equal(trimThreshold([group('a', '9-0'), group('b', '10-0')]), '9-0');
  });
});

describe('trimStream on a real stream', () => {
  let redis: RedisPrefix;
  before(() => {
    redis = redisPrefix('trim');
  });
  after(() => redis?.cleanup());

  test('removes acknowledged entries only: pending and undelivered ones stay', async () => {
    const r = redis.redis;
    const stream = `${redis.prefix}s`;
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const pipeline = r.pipeline();
      for (let i = 0; i < 100; i++) pipeline.xadd(stream, `${1_000 + batch * 100 + i}-0`, 'n', String(batch * 100 + i));
      for (const [, id] of (await pipeline.exec()) ?? []) ids.push(String(id));
    }
    await r.xgroup('CREATE', stream, 'workers', '0');
    await r.xgroup('CREATE', stream, 'shadow', '$');
    // Deliver 800 entries, acknowledge all but #450 and #620.
    const read = (await r.xreadgroup('GROUP', 'workers', 'c1', 'COUNT', 800, 'STREAMS', stream, '>')) as [string, [string, string[]][]][];
    const delivered = read[0][1].map(([id]) => id);
    assert.equal(delivered.length, 800);
    await r.xack(stream, 'workers', ...delivered.filter((id) => id !== ids[450] && id !== ids[620]));

    const positions = await readGroupPositions(r, stream);
    assert.deepEqual(
      positions.find((p) => p.name === 'workers'),
      { name: 'workers', lastDeliveredId: ids[799], pending: 2, oldestPendingId: ids[450] },
    );
    const trimmed = await trimStream(r, stream, ['shadow']);
    assert.ok(trimmed > 0 && trimmed <= 450, `trimmed ${trimmed}`);
    const remaining = (await r.xrange(stream, '-', '+')).map(([id]) => id);
    assert.ok(remaining.includes(ids[450]) && remaining.includes(ids[620]), 'pending entries stay');
    for (const id of ids.slice(450)) assert.ok(remaining.includes(id), `${id} stays`);
    assert.equal(remaining.length, 1_000 - trimmed);

    // Once everything is acknowledged, trimming reaches the last delivered entry, never past it.
    await r.xack(stream, 'workers', ids[450], ids[620]);
    await trimStream(r, stream, ['shadow']);
    const after = (await r.xrange(stream, '-', '+')).map(([id]) => id);
    assert.ok(after.includes(ids[799]));
    for (const id of ids.slice(800)) assert.ok(after.includes(id), 'undelivered entries stay');
  });
});
