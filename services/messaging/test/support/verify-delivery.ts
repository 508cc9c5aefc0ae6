import assert from 'node:assert/strict';
import { partitionList } from '../../src/streams/stream-keys.ts';
import type { Sandbox } from './sandbox.ts';
import type { SendLoadResult } from './send-load.ts';
import { waitFor } from './wait-for.ts';

/**
 * The delivery guarantees after a load: every accepted message persisted exactly once under the
 * messageId its sender was given, every conversation in send order, nothing left pending.
 */
export async function verifyDelivery(box: Sandbox, result: SendLoadResult, conversationPrefix: string): Promise<void> {
  const accepted = result.accepted.size;
  const like = `${conversationPrefix}-%`;
  await waitFor(
    `all ${accepted} accepted messages persisted`,
    async () => {
      const { rows } = await box.db.pool.query(
        "SELECT count(*)::int AS n FROM messages WHERE state = 'persisted' AND conversation_id LIKE $1",
        [like],
      );
      return rows[0].n >= accepted ? true : undefined;
    },
    30_000,
    200,
  );
  const { rows } = await box.db.pool.query('SELECT client_message_id, id, state FROM messages WHERE conversation_id LIKE $1', [like]);
  assert.equal(rows.length, accepted, 'rows = accepted messages');
  for (const row of rows) {
    assert.equal(row.id, result.accepted.get(row.client_message_id), row.client_message_id);
    assert.equal(row.state, 'persisted');
  }
  for (const [conversation, ids] of result.order) {
    const { rows: listed } = await box.db.pool.query('SELECT id FROM messages WHERE conversation_id = $1 ORDER BY conversation_seq', [
      conversation,
    ]);
    assert.deepEqual(
      listed.map((r) => r.id),
      ids,
      `${conversation} in send order`,
    );
  }
  await waitFor(
    'nothing pending in any partition',
    async () => {
      for (const p of partitionList(16)) {
        const [pending] = (await box.redis.redis.xpending(`${box.redis.prefix}msg:stream:${p}`, 'persistence-workers')) as [number];
        if (Number(pending) !== 0) return undefined;
      }
      return true;
    },
    15_000,
    200,
  );
}
