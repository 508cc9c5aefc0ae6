import type pg from 'pg';
import { buildInsertMessages, buildPersistBatch, buildSelectStates } from '../message-sql.ts';
import type { ProcessedStatus } from '../messaging-metrics.ts';
import type { MessageEnvelope } from '../streams/message-envelope.ts';

export interface EntryResult {
  status: ProcessedStatus;
  /** Place in the conversation, for persisted messages. */
  conversationSeq?: number;
  acceptedAt?: Date;
}

/** What a partition worker hands its decoded entries to: `write` persists, `shadow` only looks. */
export interface EntryHandler {
  readonly mode: 'write' | 'shadow';
  /** Results by message id, for every envelope; throws when the batch as a whole failed (nothing committed). */
  handle(envelopes: readonly MessageEnvelope[]): Promise<Map<string, EntryResult>>;
}

interface PersistRow {
  id: string;
  outcome: 'persisted' | 'duplicate' | 'deferred';
  conversation_seq: string | null;
  accepted_at: Date | null;
}

async function persistPass(pool: pg.Pool, ids: readonly string[]): Promise<PersistRow[]> {
  const { rows } = await pool.query<PersistRow>(buildPersistBatch(ids));
  return rows;
}

/**
 * Persists envelopes in stream order with one statement per pass (autocommit: the batch commits or
 * nothing does). A message whose row is missing (its ingress died between XADD and COMMIT, or has
 * not committed yet) is inserted from the envelope first, waiting for an in-flight ingress
 * transaction on the same key; if another message took the key meanwhile, this one is 'superseded'.
 */
export function createMessagePersister(pool: pg.Pool): EntryHandler {
  return {
    mode: 'write',
    async handle(envelopes) {
      const results = new Map<string, EntryResult>();
      const unique = [...new Map(envelopes.map((e) => [e.messageId, e])).values()];
      if (unique.length === 0) return results;
      const record = (rows: PersistRow[]) => {
        for (const row of rows) {
          if (row.outcome === 'deferred') continue;
          results.set(row.id, {
            status: row.outcome,
            ...(row.conversation_seq !== null ? { conversationSeq: Number(row.conversation_seq) } : {}),
            ...(row.accepted_at ? { acceptedAt: row.accepted_at } : {}),
          });
        }
      };
      const first = await persistPass(
        pool,
        unique.map((e) => e.messageId),
      );
      record(first);
      const deferredIds = new Set(first.filter((r) => r.outcome === 'deferred').map((r) => r.id));
      if (deferredIds.size === 0) return results;

      const deferred = unique.filter((e) => deferredIds.has(e.messageId));
      await pool.query(buildInsertMessages(deferred));
      const { rows: present } = await pool.query<{ id: string }>(buildSelectStates(deferred.map((e) => e.messageId)));
      const presentIds = new Set(present.map((r) => r.id));
      for (const envelope of deferred) if (!presentIds.has(envelope.messageId)) results.set(envelope.messageId, { status: 'superseded' });
      const retry = deferred.filter((e) => presentIds.has(e.messageId));
      if (retry.length > 0) {
        const second = await persistPass(
          pool,
          retry.map((e) => e.messageId),
        );
        const stillDeferred = second.filter((r) => r.outcome === 'deferred');
        if (stillDeferred.length > 0) throw new Error(`messages ${stillDeferred.map((r) => r.id).join(', ')} vanished while persisting`);
        record(second);
      }
      return results;
    },
  };
}

/** Shadow mode: reads the rows the entries name and reports them as seen; writes nothing. */
export function createShadowReader(pool: pg.Pool): EntryHandler {
  return {
    mode: 'shadow',
    async handle(envelopes) {
      const ids = [...new Set(envelopes.map((e) => e.messageId))];
      if (ids.length > 0) await pool.query(buildSelectStates(ids));
      return new Map(ids.map((id) => [id, { status: 'shadow' as const }]));
    },
  };
}
