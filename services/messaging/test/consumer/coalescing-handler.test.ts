// Partition workers' batches handed over within the window become one call of the handler; each
// worker gets back the results of its own envelopes, and a failed joined call is retried batch by
// batch, so a worker only ever sees its own batch's error.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { coalesceHandler } from '../../src/consumer/coalescing-handler.ts';
import type { EntryHandler, EntryResult } from '../../src/consumer/message-persister.ts';
import type { MessageEnvelope } from '../../src/streams/message-envelope.ts';

const envelope = (messageId: string): MessageEnvelope => ({
  messageId,
  conversationId: `conv-${messageId}`,
  senderId: 'alice',
  clientMessageId: `client-${messageId}`,
  content: messageId,
  contentType: 'text',
  recipientIds: ['bob'],
  correlationId: `corr-${messageId}`,
  fingerprint: `fp-${messageId}`,
  partition: 0,
  acceptedAt: '2026-12-04T00:00:00.000Z',
});
const batch = (...ids: string[]) => ids.map(envelope);

/** Persists everything it is handed, except that any call naming a poison id fails as a whole. */
function recordingHandler(poison = new Set<string>()): EntryHandler & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    mode: 'write',
    calls,
    async handle(envelopes) {
      const ids = envelopes.map((e) => e.messageId);
      calls.push(ids);
      const bad = ids.find((id) => poison.has(id));
      if (bad) throw new Error(`poison ${bad}`);
      return new Map(ids.map((id, i): [string, EntryResult] => [id, { status: 'persisted', conversationSeq: i + 1 }]));
    },
  };
}

const statuses = (results: Map<string, EntryResult>) => Object.fromEntries([...results].map(([id, r]) => [id, r.status]));

describe('coalescing handler', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  test('batches handed over within the window are one call, in hand-over order; each gets its own results', async () => {
    const inner = recordingHandler();
    const handler = coalesceHandler(inner, { windowMs: 10, maxEnvelopes: 100 });
    const a = handler.handle(batch('a1', 'a2'));
    const b = handler.handle(batch('b1'));
    assert.equal(inner.calls.length, 0, 'nothing is handed on before the window ends');
    mock.timers.tick(10);
    assert.deepEqual(inner.calls, [['a1', 'a2', 'b1']]);
    assert.deepEqual(statuses(await a), { a1: 'persisted', a2: 'persisted' });
    assert.deepEqual(statuses(await b), { b1: 'persisted' });
    assert.equal((await a).get('a2')?.conversationSeq, 2);
  });

  test('a group is handed on at once when it reaches maxEnvelopes, and a batch that would overfill it starts the next', async () => {
    const inner = recordingHandler();
    const handler = coalesceHandler(inner, { windowMs: 10, maxEnvelopes: 3 });
    const a = handler.handle(batch('a1', 'a2'));
    const b = handler.handle(batch('b1', 'b2'));
    assert.deepEqual(inner.calls, [['a1', 'a2']], 'the group went on before b would overfill it');
    const c = handler.handle(batch('c1'));
    assert.deepEqual(
      inner.calls,
      [
        ['a1', 'a2'],
        ['b1', 'b2', 'c1'],
      ],
      'full: no wait for the window',
    );
    await Promise.all([a, b, c]);
  });

  test('a joined call that fails is retried batch by batch: only the poisoned batch fails', async () => {
    const inner = recordingHandler(new Set(['b2']));
    const handler = coalesceHandler(inner, { windowMs: 10, maxEnvelopes: 100 });
    const a = handler.handle(batch('a1'));
    const b = handler.handle(batch('b1', 'b2'));
    const c = handler.handle(batch('c1'));
    mock.timers.tick(10);
    assert.deepEqual(statuses(await a), { a1: 'persisted' });
    await assert.rejects(b, /poison b2/);
    assert.deepEqual(statuses(await c), { c1: 'persisted' });
    assert.deepEqual(inner.calls, [['a1', 'b1', 'b2', 'c1'], ['a1'], ['b1', 'b2'], ['c1']]);
  });

  test('a batch alone in its window gets the handler outcome as it is', async () => {
    const inner = recordingHandler(new Set(['x']));
    const handler = coalesceHandler(inner, { windowMs: 10, maxEnvelopes: 100 });
    const x = handler.handle(batch('x'));
    mock.timers.tick(10);
    await assert.rejects(x, /poison x/);
    assert.deepEqual(inner.calls, [['x']], 'not retried by the coalescer');
  });

  test('a message named by two batches of one group is persisted for the first and a duplicate for the second', async () => {
    const inner = recordingHandler();
    const handler = coalesceHandler(inner, { windowMs: 10, maxEnvelopes: 100 });
    const a = handler.handle(batch('m', 'a1'));
    const b = handler.handle(batch('m'));
    mock.timers.tick(10);
    assert.deepEqual(statuses(await a), { m: 'persisted', a1: 'persisted' });
    assert.deepEqual(statuses(await b), { m: 'duplicate' });
  });

  test('a window of 0 is the handler itself', () => {
    const inner = recordingHandler();
    assert.equal(coalesceHandler(inner, { windowMs: 0, maxEnvelopes: 100 }), inner);
  });
});
