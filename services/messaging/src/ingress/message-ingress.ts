import { randomUUID } from 'node:crypto';
import { createMicroBatcher } from '@cutover/service-kit';
import type pg from 'pg';
import { buildInsertMessages, buildSelectByIdempotencyKeys } from '../message-sql.ts';
import type { MessagingMetrics } from '../messaging-metrics.ts';
import type { RedisClient } from '../redis/create-redis.ts';
import { execBySlot } from '../redis/pipeline-by-slot.ts';
import { ENVELOPE_FIELD, encodeEnvelopeJson, type MessageEnvelope } from '../streams/message-envelope.ts';
import { partitionFor } from '../streams/partition-for.ts';
import type { StreamKeys } from '../streams/stream-keys.ts';
import { messageFingerprint } from './message-fingerprint.ts';
import type { MessageInput } from './message-input.ts';

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
  redis: RedisClient;
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
  partition: number;
}

const keyOf = (input: { senderId: string; clientMessageId: string }) => `${input.senderId}\u0000${input.clientMessageId}`;

/**
 * Idempotent ingress. Concurrent requests are claimed in batches:
 *   1. one INSERT ... ON CONFLICT DO NOTHING RETURNING id for the batch (autocommit): the unique
 *      (sender, clientMessageId) key decides which request owns a key, across batches, processes
 *      and hosts; rows go in key order so two batches holding the same keys cannot deadlock;
 *   2. one SELECT of the rows whose key was already taken (only when some were);
 *   3. one XADD pipeline (on a cluster one per partition): every new message, and every still-pending
 *      message that a retry names;
 *   4. answers. A request is acknowledged only once its message's entry is in the stream.
 * Why a retry of a pending message enqueues it again: its first attempt may have committed the
 * row and died (or lost Redis) before its XADD, and the sender, having no answer, retries. The
 * consumer persists a message once however many entries name it, so a spare entry costs a
 * little work and never a duplicate. A row whose sender never retries stays pending and was
 * never acknowledged.
 */
export function createMessageIngress(options: MessageIngressOptions): MessageIngress {
  const { pool, redis, keys, metrics } = options;

  async function claim(requests: Request[]): Promise<IngressOutcome[]> {
    const owners = new Map<string, { index: number; envelope: MessageEnvelope }>();
    const acceptedAt = new Date().toISOString();
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
          acceptedAt,
        },
      });
    });
    // Key order, so two batches holding the same keys cannot deadlock. Each envelope is serialised
    // once: the same text is the INSERT's row and the stream entry.
    const sortedKeys = [...owners.keys()].sort();
    const candidates: MessageEnvelope[] = [];
    const encoded = new Map<string, string>();
    for (const key of sortedKeys) {
      const envelope = (owners.get(key) as { envelope: MessageEnvelope }).envelope;
      candidates.push(envelope);
      encoded.set(key, encodeEnvelopeJson(envelope));
    }

    const insert = await pool.query<{ id: string }>(buildInsertMessages(candidates, [...encoded.values()]));
    const inserted = new Set(insert.rows.map((r) => r.id));
    const taken = candidates.filter((c) => !inserted.has(c.messageId));
    const existing = new Map<string, ExistingRow>();
    if (taken.length > 0) {
      const { rows } = await pool.query<ExistingRow>(buildSelectByIdempotencyKeys(taken));
      for (const row of rows) existing.set(keyOf({ senderId: row.sender_id, clientMessageId: row.client_message_id }), row);
    }

    // What goes to the streams, by key: new messages, and pending ones a same-payload retry names.
    const toEnqueue = new Map<string, { partition: number; json: string }>();
    for (const [i, candidate] of candidates.entries()) {
      const key = sortedKeys[i];
      if (inserted.has(candidate.messageId)) toEnqueue.set(key, { partition: candidate.partition, json: encoded.get(key) as string });
      else {
        const row = existing.get(key);
        if (row && row.state === 'pending' && row.fingerprint === candidate.fingerprint)
          toEnqueue.set(key, {
            partition: row.partition,
            json: encodeEnvelopeJson({
              ...candidate,
              messageId: row.id,
              acceptedAt: row.accepted_at.toISOString(),
              correlationId: row.correlation_id,
              partition: row.partition,
            }),
          });
      }
    }
    const enqueueErrors = new Map<string, unknown>();
    if (toEnqueue.size > 0) {
      const results = await execBySlot(
        redis,
        [...toEnqueue.values()].map((entry) => {
          const stream = keys.stream(entry.partition);
          return { key: stream, command: 'XADD', args: [stream, '*', ENVELOPE_FIELD, entry.json] };
        }),
      );
      [...toEnqueue.entries()].forEach(([key, envelope], i) => {
        const error = results[i]?.[0] ?? null;
        if (error) enqueueErrors.set(key, error);
        else metrics.enqueued.inc({ partition: String(envelope.partition) });
      });
    }
    metrics.ingressBatchSize.observe(requests.length);

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
        if (request.fingerprint !== owner.envelope.fingerprint) outcome = { kind: 'key-reused', messageId: ack.messageId };
        else if (enqueueErrors.has(key)) return { kind: 'failed', error: enqueueErrors.get(key) };
        else if (owner.index === index) return { kind: 'accepted', ack };
        else outcome = { kind: 'replayed', ack };
      } else {
        const row = existing.get(key);
        if (!row) throw new Error(`the message holding key ${JSON.stringify(key)} was not found after the conflict`);
        if (request.fingerprint !== row.fingerprint) outcome = { kind: 'key-reused', messageId: row.id };
        else if (enqueueErrors.has(key)) return { kind: 'failed', error: enqueueErrors.get(key) };
        else
          outcome = {
            kind: 'replayed',
            ack: { messageId: row.id, state: row.state, acceptedAt: row.accepted_at.toISOString(), correlationId: row.correlation_id },
          };
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
