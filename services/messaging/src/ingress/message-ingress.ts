import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { buildInsertMessages, buildSelectByIdempotencyKeys } from '../message-sql.ts';
import type { MessagingMetrics } from '../messaging-metrics.ts';
import { encodeEnvelope, type MessageEnvelope } from '../streams/message-envelope.ts';
import { partitionFor } from '../streams/partition-for.ts';
import type { StreamKeys } from '../streams/stream-keys.ts';
import { messageFingerprint } from './message-fingerprint.ts';
import type { MessageInput } from './message-input.ts';
import { createMicroBatcher } from './micro-batcher.ts';

export type MessageState = 'pending' | 'persisted';

/** What the sender gets back: the server's id for its message and where it stands. */
export interface IngressAck {
  messageId: string;
  state: MessageState;
  acceptedAt: string;
  correlationId: string;
}

export type IngressOutcome =
  /** First request with this key: the message row and its stream entry exist now. */
  | { kind: 'accepted'; ack: IngressAck }
  /** Same key and same payload as an earlier request: that request's message. */
  | { kind: 'replayed'; ack: IngressAck }
  /** Same key, different payload: refused (422), naming the message that holds the key. */
  | { kind: 'key-reused'; messageId: string }
  /** Nothing was claimed (database or Redis failed): the sender retries with the same clientMessageId. */
  | { kind: 'failed'; error: unknown };

export interface MessageIngress {
  ingest(input: MessageInput, correlationId: string): Promise<IngressOutcome>;
  /** Resolves once every accepted request has been answered (shutdown). */
  drain(): Promise<void>;
}

export interface MessageIngressOptions {
  pool: pg.Pool;
  redis: Redis;
  keys: StreamKeys;
  metrics: MessagingMetrics;
  maxBatch: number;
  concurrency: number;
}

interface Request {
  input: MessageInput;
  fingerprint: string;
  correlationId: string;
}

interface ExistingRow {
  id: string;
  sender_id: string;
  client_message_id: string;
  fingerprint: string;
  state: MessageState;
  accepted_at: Date;
  correlation_id: string;
}

const keyOf = (input: { senderId: string; clientMessageId: string }) => `${input.senderId}\u0000${input.clientMessageId}`;

/**
 * Idempotent ingress. Concurrent requests are claimed in batches, each in one transaction:
 *   BEGIN; INSERT ... ON CONFLICT DO NOTHING RETURNING id   (the unique (sender, clientMessageId)
 *          key decides which request owns a key, across batches, processes and hosts);
 *   SELECT the rows of the keys that were already taken;
 *   XADD every new message to its partition stream (one pipeline);  COMMIT.
 * The transaction commits only after Redis accepted the entries, so a committed row always has
 * its entry. If XADD fails the rows roll back and the caller retries; if the process dies after
 * XADD but before COMMIT, the entry has no row, and the consumer inserts it from the entry itself.
 * Rows are inserted in key order so two batches holding the same keys cannot deadlock.
 */
export function createMessageIngress(options: MessageIngressOptions): MessageIngress {
  const { pool, redis, keys, metrics } = options;

  async function claim(requests: Request[]): Promise<IngressOutcome[]> {
    const owners = new Map<string, { index: number; envelope: MessageEnvelope }>();
    requests.forEach((request, index) => {
      const key = keyOf(request.input);
      if (owners.has(key)) return;
      const { input } = request;
      owners.set(key, {
        index,
        envelope: {
          messageId: randomUUID(),
          conversationId: input.conversationId,
          senderId: input.senderId,
          clientMessageId: input.clientMessageId,
          content: input.content,
          contentType: input.contentType,
          recipientIds: input.recipientIds,
          correlationId: request.correlationId,
          fingerprint: request.fingerprint,
          partition: partitionFor(input.conversationId, keys.partitions),
          acceptedAt: new Date().toISOString(),
        },
      });
    });
    const candidates = [...owners.values()].map((o) => o.envelope).sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));

    const client = await pool.connect();
    let inserted: Set<string>;
    let existing: Map<string, ExistingRow>;
    try {
      await client.query('BEGIN');
      const insert = await client.query<{ id: string }>(buildInsertMessages(candidates));
      inserted = new Set(insert.rows.map((r) => r.id));
      const taken = candidates.filter((c) => !inserted.has(c.messageId));
      existing = new Map();
      if (taken.length > 0) {
        const { rows } = await client.query<ExistingRow>(buildSelectByIdempotencyKeys(taken));
        for (const row of rows) existing.set(keyOf({ senderId: row.sender_id, clientMessageId: row.client_message_id }), row);
      }
      const fresh = candidates.filter((c) => inserted.has(c.messageId));
      if (fresh.length > 0) {
        const pipeline = redis.pipeline();
        for (const envelope of fresh) pipeline.xadd(keys.stream(envelope.partition), '*', ...encodeEnvelope(envelope));
        for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    client.release();
    metrics.ingressBatchSize.observe(requests.length);
    for (const c of candidates) if (inserted.has(c.messageId)) metrics.enqueued.inc({ partition: String(c.partition) });

    return requests.map((request, index): IngressOutcome => {
      const key = keyOf(request.input);
      const owner = owners.get(key);
      if (!owner) throw new Error('every request has an owner for its key');
      let outcome: IngressOutcome;
      if (inserted.has(owner.envelope.messageId)) {
        const ack: IngressAck = {
          messageId: owner.envelope.messageId,
          state: 'pending',
          acceptedAt: owner.envelope.acceptedAt,
          correlationId: owner.envelope.correlationId,
        };
        if (owner.index === index) return { kind: 'accepted', ack };
        outcome =
          request.fingerprint === owner.envelope.fingerprint ? { kind: 'replayed', ack } : { kind: 'key-reused', messageId: ack.messageId };
      } else {
        const row = existing.get(key);
        if (!row) throw new Error(`the message holding key ${JSON.stringify(key)} was not found after the conflict`);
        outcome =
          request.fingerprint === row.fingerprint
            ? {
                kind: 'replayed',
                ack: { messageId: row.id, state: row.state, acceptedAt: row.accepted_at.toISOString(), correlationId: row.correlation_id },
              }
            : { kind: 'key-reused', messageId: row.id };
      }
      if (outcome.kind === 'replayed') metrics.idempotencyHits.inc({ operation: 'ingress' });
      else metrics.idempotencyConflicts.inc({ operation: 'ingress' });
      return outcome;
    });
  }

  const batcher = createMicroBatcher<Request, IngressOutcome>({
    maxBatch: options.maxBatch,
    concurrency: options.concurrency,
    // A failed batch is retried one request at a time, so one request the database refuses
    // cannot fail the unrelated requests that happened to share its batch.
    async run(requests) {
      try {
        return await claim(requests);
      } catch (error) {
        if (requests.length === 1) return [{ kind: 'failed', error }];
        return Promise.all(
          requests.map((r) =>
            claim([r]).then(
              (outcomes) => outcomes[0],
              (single: unknown) => ({ kind: 'failed' as const, error: single }),
            ),
          ),
        );
      }
    },
  });

  return {
    ingest(input, correlationId) {
      return batcher.submit({ input, fingerprint: messageFingerprint(input), correlationId });
    },
    drain: () => batcher.drain(),
  };
}
