// Entries are decoded by a hand-written check with the schema behind it: both must agree on every
// payload, and the ingress's own envelopes take the fast path.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  decodeEnvelope,
  ENVELOPE_FIELD,
  encodeEnvelopeJson,
  envelopeSchema,
  type MessageEnvelope,
} from '../../src/streams/message-envelope.ts';

const envelope: MessageEnvelope = {
  messageId: randomUUID(),
  conversationId: 'c1',
  senderId: 'u1',
  clientMessageId: 'm1',
  content: '',
  contentType: 'text',
  recipientIds: ['u2', 'u3'],
  correlationId: '',
  fingerprint: 'f'.repeat(64),
  partition: 7,
  acceptedAt: new Date().toISOString(),
};

const payloads: unknown[] = [
  envelope,
  { ...envelope, content: 'emoji 😀 "q" \\', recipientIds: [] },
  { ...envelope, messageId: envelope.messageId.toUpperCase() },
  { ...envelope, messageId: '00000000-0000-0000-0000-000000000000' },
  { ...envelope, acceptedAt: '2026-12-03T14:08:50+01:00' },
  { ...envelope, acceptedAt: '2026-02-30T14:08:50.000Z' },
  { ...envelope, acceptedAt: '2026-12-03T24:00:00.000Z' },
  { ...envelope, acceptedAt: 'yesterday' },
  { ...envelope, messageId: 'not-a-uuid' },
  { ...envelope, conversationId: '' },
  { ...envelope, fingerprint: '' },
  { ...envelope, contentType: 3 },
  { ...envelope, recipientIds: ['a', 1] },
  { ...envelope, partition: -1 },
  { ...envelope, partition: 1.5 },
  { ...envelope, partition: '1' },
  { ...envelope, extra: true },
  Object.fromEntries(Object.entries(envelope).filter(([k]) => k !== 'correlationId')),
  JSON.parse(`{"__proto__": {}, ${JSON.stringify(envelope).slice(1)}`),
  [envelope],
  null,
  'text',
];

describe('decodeEnvelope', () => {
  test('accepts exactly what the schema accepts, with the same envelope', () => {
    for (const payload of payloads) {
      const decoded = decodeEnvelope([ENVELOPE_FIELD, JSON.stringify(payload)]);
      const schema = envelopeSchema.safeParse(payload);
      assert.equal(decoded.ok, schema.success, JSON.stringify(payload));
      if (decoded.ok && schema.success) assert.deepEqual(decoded.envelope, schema.data);
    }
  });

  test('reads back what the ingress encodes', () => {
    const decoded = decodeEnvelope(['other', 'x', ENVELOPE_FIELD, encodeEnvelopeJson(envelope)]);
    assert.deepEqual(decoded, { ok: true, envelope });
    assert.deepEqual(decodeEnvelope([ENVELOPE_FIELD, '{']), { ok: false, reason: 'entry payload is not JSON' });
    assert.equal(decodeEnvelope(null).ok, false);
  });
});
