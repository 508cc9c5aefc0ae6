// Counter blocks reserved ahead of need, on a real PostgreSQL: two allocators (two pools, as two api
// instances) take counters of one BIN concurrently; every counter below next_counter is handed out
// exactly once or still held by one allocator: no duplicate, and no gap but what the instances hold.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { parseSandboxBins } from '../../src/cards/sandbox-bins.ts';
import { syncBins } from '../../src/store/bin-store.ts';
import { CounterAllocator } from '../../src/store/counter-allocator.ts';
import { createMigratedDatabase, type TestDatabase } from '../support/test-database.ts';

const BIN = '400000';
// 13-digit BIN in a 16-digit PAN: 2 account digits, 100 counters, for the exhaustion case.
const SMALL_BIN = '4111111111111';

let db: TestDatabase;
const pools: pg.Pool[] = [];

before(async () => {
  db = await createMigratedDatabase('counters');
  const setup = new pg.Pool({ connectionString: db.url, max: 1 });
  setup.on('error', () => undefined);
  pools.push(setup);
  const bins = parseSandboxBins(`visa:${BIN},visa:${SMALL_BIN}:16`);
  assert.ok(bins.ok);
  assert.deepEqual(await syncBins(setup, bins.bins), []);
});

after(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await db.drop();
});

function instance(blockSize: number): { allocator: CounterAllocator; reserved: number[] } {
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  // The database is dropped WITH (FORCE) at the end: an idle client still closing then must not crash the runner.
  pool.on('error', () => undefined);
  pools.push(pool);
  const allocator = new CounterAllocator(pool, blockSize);
  const reserved: number[] = [];
  allocator.onReserve = (_bin, size) => reserved.push(size);
  allocator.onReserveAheadError = (_bin, error) => {
    throw error;
  };
  return { allocator, reserved };
}

async function nextCounter(bin: string): Promise<number> {
  const { rows } = await pools[0].query<{ next: string }>('SELECT next_counter AS next FROM card_bins WHERE bin = $1', [bin]);
  return Number(rows[0].next);
}

test('two instances hand out every counter once; the rest below next_counter is what they hold', async () => {
  const a = instance(10);
  const b = instance(10);
  const handedOut: number[] = [];
  // Requests of 1 to 7 counters, 40 at a time on each instance, 10 rounds: blocks are reserved ahead
  // while others are taken, and some requests need more than is held.
  for (let round = 0; round < 10; round++) {
    const requests = [];
    for (let i = 0; i < 40; i++) for (const { allocator } of [a, b]) requests.push(allocator.take(BIN, 1 + ((round * 40 + i) % 7)));
    for (const allocation of await Promise.all(requests)) {
      assert.ok(allocation.ok);
      handedOut.push(...allocation.counters);
    }
  }
  await Promise.all([a.allocator.drain(), b.allocator.drain()]);
  const end = await nextCounter(BIN);
  assert.equal(new Set(handedOut).size, handedOut.length, 'no counter handed out twice');
  assert.ok(
    handedOut.every((c) => Number.isInteger(c) && c >= 0 && c < end),
    'every counter below next_counter',
  );
  assert.equal(handedOut.length + a.allocator.held(BIN) + b.allocator.held(BIN), end, 'the counters not handed out are held');
  assert.equal(
    a.reserved.concat(b.reserved).reduce((s, n) => s + n, 0),
    end,
    'the reserved blocks add up to next_counter',
  );
  // Reserved ahead: after its traffic, an instance holds more than half a block but never more than 1.5 blocks.
  for (const { allocator } of [a, b]) {
    assert.ok(allocator.held(BIN) > 5 && allocator.held(BIN) <= 15, `held ${allocator.held(BIN)}`);
  }
});

test('a request within what is held does not wait for the database: the next block is reserved ahead', async () => {
  const { allocator, reserved } = instance(100);
  assert.ok((await allocator.take(BIN, 1)).ok, 'the first request reserves a block itself');
  assert.deepEqual(reserved, [100]);
  for (let i = 0; i < 49; i++) assert.ok((await allocator.take(BIN, 1)).ok);
  // 50 used, 50 held: the block ahead starts now, while requests go on being served from memory.
  assert.deepEqual(reserved, [100]);
  await allocator.drain();
  assert.deepEqual(reserved, [100, 100]);
  assert.equal(allocator.held(BIN), 150);
});

test('a BIN running out: counters up to its capacity, once each, then exhausted with nothing taken', async () => {
  const a = instance(30);
  const b = instance(30);
  const handedOut: number[] = [];
  const refused: { available: number }[] = [];
  const requests = [];
  for (let i = 0; i < 30; i++) for (const { allocator } of [a, b]) requests.push(allocator.take(SMALL_BIN, 4));
  for (const allocation of await Promise.all(requests)) {
    if (allocation.ok) handedOut.push(...allocation.counters);
    else refused.push(allocation);
  }
  await Promise.all([a.allocator.drain(), b.allocator.drain()]);
  assert.equal(new Set(handedOut).size, handedOut.length, 'no counter handed out twice');
  assert.equal(await nextCounter(SMALL_BIN), 100);
  assert.equal(handedOut.length + a.allocator.held(SMALL_BIN) + b.allocator.held(SMALL_BIN), 100);
  assert.ok(refused.length > 0, 'some requests were refused');
  for (const r of refused) assert.ok(r.available < 4);
  // What is held stays usable by requests that fit.
  const left = a.allocator.held(SMALL_BIN);
  if (left > 0) assert.ok((await a.allocator.take(SMALL_BIN, left)).ok);
});
