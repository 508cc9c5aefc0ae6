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

const envelopeSchema = z.strictObject({
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
  const result = envelopeSchema.safeParse(parsed);
  if (!result.success) return { ok: false, reason: `entry payload is invalid: ${result.error.issues[0]?.message ?? 'unknown'}` };
  return { ok: true, envelope: result.data };
}
