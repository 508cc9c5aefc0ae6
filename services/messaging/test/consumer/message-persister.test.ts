// The consumer's commit against real PostgreSQL: stream order becomes conversation order, a
// redelivery changes nothing, a row missing because its ingress died is rebuilt from the entry,
// and two consumers racing on the same entries persist each message once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createMessagePersister } from '../../src/consumer/message-persister.ts';
import { buildInsertMessages } from '../../src/message-sql.ts';
import type { MessageEnvelope } from '../../src/streams/message-envelope.ts';
import { createMigratedDatabase, type TestDatabase } from '../support/test-database.ts';

let counter = 0;
function envelope(conversationId: string, overrides: Partial<MessageEnvelope> = {}): MessageEnvelope {
  counter++;
  return {
    messageId: randomUUID(),
    conversationId,
    senderId: 'alice',
    clientMessageId: `c-${counter}`,
    content: `message ${counter}`,
    contentType: 'text',
    recipientIds: ['bob'],
    correlationId: `corr-${counter}`,
    fingerprint: `fp-${counter}`,
    partition: 0,
    acceptedAt: new Date().toISOString(),
    ...overrides,
  };
}

describe('message persister', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createMigratedDatabase('persister');
  });
  after(() => db?.drop());

  async function seqs(ids: string[]): Promise<(number | null)[]> {
    const { rows } = await db.pool.query('SELECT id, conversation_seq FROM messages WHERE id = ANY($1::uuid[])', [ids]);
    const byId = new Map(rows.map((r) => [r.id, r.conversation_seq === null ? null : Number(r.conversation_seq)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  test('stream order becomes each conversation order; a redelivery is a duplicate and changes nothing', async () => {
    const persister = createMessagePersister(db.pool);
    const batch = [envelope('a'), envelope('b'), envelope('a'), envelope('a'), envelope('b'), envelope('b')];
    await db.pool.query(buildInsertMessages(batch));
    const first = await persister.handle(batch);
    assert.deepEqual(
      batch.map((e) => first.get(e.messageId)?.status),
      Array(6).fill('persisted'),
    );
    assert.deepEqual(await seqs(batch.map((e) => e.messageId)), [1, 1, 2, 3, 2, 3]);

    const later = [envelope('a'), envelope('b')];
    await db.pool.query(buildInsertMessages(later));
    await persister.handle(later);
    assert.deepEqual(await seqs(later.map((e) => e.messageId)), [4, 4]);

    const again = await persister.handle(batch);
    assert.deepEqual(
      batch.map((e) => again.get(e.messageId)?.status),
      Array(6).fill('duplicate'),
    );
    assert.deepEqual(await seqs(batch.map((e) => e.messageId)), [1, 1, 2, 3, 2, 3]);
  });

  test('a row missing from the middle of a batch is inserted from its entry, and nothing overtakes it', async () => {
    const persister = createMessagePersister(db.pool);
    const [m1, m2, m3] = [envelope('c'), envelope('c'), envelope('c')];
    await db.pool.query(buildInsertMessages([m1, m3])); // m2's ingress died after XADD, before COMMIT
    const results = await persister.handle([m1, m2, m3]);
    assert.deepEqual(
      [m1, m2, m3].map((e) => results.get(e.messageId)?.status),
      ['persisted', 'persisted', 'persisted'],
    );
    assert.deepEqual(await seqs([m1.messageId, m2.messageId, m3.messageId]), [1, 2, 3]);
    const { rows } = await db.pool.query('SELECT content, correlation_id, recipient_ids FROM messages WHERE id = $1', [m2.messageId]);
    assert.deepEqual(rows[0], { content: m2.content, correlation_id: m2.correlationId, recipient_ids: ['bob'] });
  });

  test('an entry whose key was taken by another message (the client retried after the crash) is superseded', async () => {
    const persister = createMessagePersister(db.pool);
    const kept = envelope('d', { clientMessageId: 'retried' });
    const orphan = envelope('d', { clientMessageId: 'retried' });
    await db.pool.query(buildInsertMessages([kept]));
    const results = await persister.handle([orphan, kept]);
    assert.equal(results.get(orphan.messageId)?.status, 'superseded');
    assert.equal(results.get(kept.messageId)?.status, 'persisted');
    const { rows } = await db.pool.query("SELECT id FROM messages WHERE sender_id = 'alice' AND client_message_id = 'retried'");
    assert.deepEqual(
      rows.map((r) => r.id),
      [kept.messageId],
    );
  });

  test('an entry read before its ingress transaction commits waits for it instead of duplicating it', async () => {
    const persister = createMessagePersister(db.pool);
    const late = envelope('e');
    const ingress = await db.pool.connect();
    try {
      await ingress.query('BEGIN');
      await ingress.query(buildInsertMessages([late]));
      const persisting = persister.handle([late]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await ingress.query('COMMIT');
      const results = await persisting;
      assert.equal(results.get(late.messageId)?.status, 'persisted');
    } finally {
      ingress.release();
    }
    assert.deepEqual(await seqs([late.messageId]), [1]);
  });

  test('two consumers handling the same entries at once (a zombie and its successor) persist each message once', async () => {
    const batch = Array.from({ length: 60 }, (_, i) => envelope(`z${i % 3}`));
    await db.pool.query(buildInsertMessages(batch));
    const [a, b] = await Promise.all([createMessagePersister(db.pool).handle(batch), createMessagePersister(db.pool).handle(batch)]);
    for (const e of batch) {
      const statuses = [a.get(e.messageId)?.status, b.get(e.messageId)?.status].sort();
      assert.deepEqual(statuses, ['duplicate', 'persisted'], `message ${e.messageId}`);
    }
    for (const conversation of ['z0', 'z1', 'z2']) {
      const { rows } = await db.pool.query('SELECT conversation_seq FROM messages WHERE conversation_id = $1 ORDER BY conversation_seq', [
        conversation,
      ]);
      assert.deepEqual(
        rows.map((r) => Number(r.conversation_seq)),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    }
    // Stream order within each conversation survives the race.
    const ids = batch.filter((e) => e.conversationId === 'z1').map((e) => e.messageId);
    assert.deepEqual(
      await seqs(ids),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });
});
