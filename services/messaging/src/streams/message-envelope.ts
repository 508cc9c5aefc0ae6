import { z } from 'zod';

/** What travels in a stream entry: everything needed to persist the message even if its row is missing. */
export interface MessageEnvelope {
  messageId: string;
  conversationId: string;
  senderId: string;
  clientMessageId: string;
  content: string;
  contentType: string;
  recipientIds: string[];
  correlationId: string;
  fingerprint: string;
  partition: number;
  /** ISO 8601, set by the ingress. */
  acceptedAt: string;
}

/** The entry's single field; a version prefix would go in the name if the layout ever changes. */
export const ENVELOPE_FIELD = 'm1';

/** What an entry must hold (exported for the test that holds the hand-written check to it). */
export const envelopeSchema = z.strictObject({
  messageId: z.uuid(),
  conversationId: z.string().min(1),
  senderId: z.string().min(1),
  clientMessageId: z.string().min(1),
  content: z.string(),
  contentType: z.string().min(1),
  recipientIds: z.array(z.string()),
  correlationId: z.string(),
  fingerprint: z.string().min(1),
  partition: z.number().int().min(0),
  acceptedAt: z.iso.datetime({ offset: true }),
});

/** The value of an entry's ENVELOPE_FIELD: the envelope's JSON (also the row the INSERT reads). */
export function encodeEnvelopeJson(envelope: MessageEnvelope): string {
  return JSON.stringify(envelope);
}

export type DecodedEntry = { ok: true; envelope: MessageEnvelope } | { ok: false; reason: string };

/** Reads an entry's field list back; a malformed entry is a value (it goes the retry/dead-letter way). */
export function decodeEnvelope(fields: readonly string[] | null): DecodedEntry {
  if (fields === null) return { ok: false, reason: 'entry was deleted from the stream' };
  const index = fields.findIndex((value, i) => i % 2 === 0 && value === ENVELOPE_FIELD);
  if (index < 0) return { ok: false, reason: `entry has no ${ENVELOPE_FIELD} field` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(fields[index + 1] ?? '');
  } catch {
    return { ok: false, reason: 'entry payload is not JSON' };
  }
  const envelope = wellFormedEnvelope(parsed);
  if (envelope) return { ok: true, envelope };
  const result = envelopeSchema.safeParse(parsed);
  if (!result.success) return { ok: false, reason: `entry payload is invalid: ${result.error.issues[0]?.message ?? 'unknown'}` };
  return { ok: true, envelope: result.data };
}

const ENVELOPE_KEYS = 11;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const text = (value: unknown, min: number): value is string => typeof value === 'string' && value.length >= min;

/**
 * The envelope as the ingress writes it (lower-case v1-8 UUID, `toISOString()` time), checked by
 * hand: the schema's per-entry work was a visible share of the consumer's CPU. Accepts only what
 * `envelopeSchema` accepts; null sends anything else through the schema, which names the fault.
 */
function wellFormedEnvelope(value: unknown): MessageEnvelope | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  if (Object.keys(v).length !== ENVELOPE_KEYS) return null;
  const {
    messageId,
    conversationId,
    senderId,
    clientMessageId,
    content,
    contentType,
    recipientIds,
    correlationId,
    fingerprint,
    partition,
    acceptedAt,
  } = v;
  if (
    typeof messageId === 'string' &&
    UUID.test(messageId) &&
    text(conversationId, 1) &&
    text(senderId, 1) &&
    text(clientMessageId, 1) &&
    text(content, 0) &&
    text(contentType, 1) &&
    Array.isArray(recipientIds) &&
    recipientIds.every((r) => typeof r === 'string') &&
    text(correlationId, 0) &&
    text(fingerprint, 1) &&
    Number.isSafeInteger(partition) &&
    (partition as number) >= 0 &&
    typeof acceptedAt === 'string' &&
    ISO_INSTANT.test(acceptedAt) &&
    new Date(acceptedAt).toISOString() === acceptedAt
  )
    return v as unknown as MessageEnvelope;
  return null;
}
