import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createBulkhead, createServiceMetrics, ServiceKitError } from '../../src/index.ts';

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('bulkhead', () => {
  test('runs up to maxConcurrent, queues up to maxQueue, rejects the rest as a value and counts it', async () => {
    const metrics = createServiceMetrics({ serviceName: 'bh', defaultMetrics: false });
    const bulkhead = createBulkhead({ name: 'issuer', maxConcurrent: 2, maxQueue: 1, metrics });
    const gates = [deferred<string>(), deferred<string>(), deferred<string>()];
    let started = 0;
    const calls = gates.map((gate) =>
      bulkhead.run(async () => {
        started++;
        return gate.promise;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(started, 2);
    assert.equal(bulkhead.active, 2);
    assert.equal(bulkhead.queued, 1);
    assert.deepEqual(await bulkhead.run(async () => 'never'), { ok: false, reason: 'full', bulkhead: 'issuer' });
    assert.deepEqual(await bulkhead.run(async () => 'never'), { ok: false, reason: 'full', bulkhead: 'issuer' });
    gates[0].resolve('a');
    assert.deepEqual(await calls[0], { ok: true, value: 'a' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(started, 3, 'the queued call took the freed slot');
    gates[1].resolve('b');
    gates[2].resolve('c');
    assert.deepEqual(await Promise.all(calls.slice(1)), [
      { ok: true, value: 'b' },
      { ok: true, value: 'c' },
    ]);
    assert.equal(bulkhead.active, 0);
    const text = await metrics.render();
    assert.match(text, /bulkhead_rejections_total\{bulkhead="issuer",reason="full",service="bh"\} 2/);
    assert.match(text, /bulkhead_active_calls\{bulkhead="issuer",service="bh"\} 0/);
  });

  test('with no queue, the first call beyond maxConcurrent is rejected', async () => {
    const bulkhead = createBulkhead({ name: 'db', maxConcurrent: 1 });
    const gate = deferred();
    const first = bulkhead.run(() => gate.promise);
    const second = await bulkhead.run(async () => undefined);
    assert.equal(second.ok, false);
    gate.resolve();
    assert.equal((await first).ok, true);
  });

  test('timeout while queued and while running; a timed-out call keeps its slot until it settles', async () => {
    const bulkhead = createBulkhead({ name: 'webhooks', maxConcurrent: 1, maxQueue: 5, timeoutMs: 100 });
    const slow = deferred();
    let aborted = false;
    const running = bulkhead.run(async (signal) => {
      signal.addEventListener('abort', () => {
        aborted = true;
      });
      await slow.promise;
      return 'late';
    });
    const queued = bulkhead.run(async () => 'queued');
    assert.deepEqual(await queued, { ok: false, reason: 'timeout', bulkhead: 'webhooks' });
    assert.deepEqual(await running, { ok: false, reason: 'timeout', bulkhead: 'webhooks' });
    assert.equal(aborted, true, 'the call was told to stop');
    assert.equal(bulkhead.active, 1, 'the slot is held until the abandoned call settles');
    slow.resolve();
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(bulkhead.active, 0);
    assert.deepEqual(await bulkhead.run(async () => 1, { timeoutMs: 1_000 }), { ok: true, value: 1 });
  });

  test('an exception from the call propagates and frees the slot', async () => {
    const bulkhead = createBulkhead({ name: 'x', maxConcurrent: 1 });
    await assert.rejects(
      bulkhead.run(async () => {
        throw new Error('connection reset');
      }),
      /connection reset/,
    );
    assert.equal(bulkhead.active, 0);
    assert.equal((await bulkhead.run(async () => 2)).ok, true);
  });

  test('bad sizes are refused', () => {
    assert.throws(() => createBulkhead({ name: 'x', maxConcurrent: 0 }), ServiceKitError);
    assert.throws(() => createBulkhead({ name: 'x', maxConcurrent: 1, maxQueue: -1 }), ServiceKitError);
  });
});
