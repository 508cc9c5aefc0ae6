import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMicroBatcher } from '../../src/batching/micro-batcher.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('createMicroBatcher', () => {
  test('what arrives in one turn runs as one batch; results go back in order', async () => {
    const batches: number[][] = [];
    const batcher = createMicroBatcher<number, number>({
      maxBatch: 100,
      concurrency: 1,
      run: async (items) => {
        batches.push(items);
        return items.map((i) => i * 10);
      },
    });
    const results = await Promise.all([1, 2, 3].map((i) => batcher.submit(i)));
    assert.deepEqual(results, [10, 20, 30]);
    assert.deepEqual(batches, [[1, 2, 3]]);
  });

  test('while every slot is busy, arrivals wait and form the next batch, up to maxBatch', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const batcher = createMicroBatcher<number, number>({
      maxBatch: 3,
      concurrency: 1,
      run: async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate;
        return items;
      },
    });
    const first = batcher.submit(0);
    await tick();
    const rest = [1, 2, 3, 4, 5].map((i) => batcher.submit(i));
    await tick();
    assert.equal(batcher.size, 6);
    release();
    await Promise.all([first, ...rest]);
    assert.deepEqual(batches, [[0], [1, 2, 3], [4, 5]]);
    await batcher.drain();
    assert.equal(batcher.size, 0);
  });

  test('a failed batch rejects each of its items; a wrong result count is a failure', async () => {
    const failing = createMicroBatcher<number, number>({
      maxBatch: 10,
      concurrency: 2,
      run: async () => {
        throw new Error('database down');
      },
    });
    const outcomes = await Promise.allSettled([failing.submit(1), failing.submit(2)]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['rejected', 'rejected'],
    );
    const short = createMicroBatcher<number, number>({ maxBatch: 10, concurrency: 1, run: async () => [] });
    await assert.rejects(short.submit(1), /returned 0 results/);
  });
});
