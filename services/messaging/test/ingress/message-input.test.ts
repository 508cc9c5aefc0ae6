// The ingress validates with a hand-written check and falls back to the zod schema for anything
// the check does not accept: the two must agree on every body, valid or not, and on the output.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MAX_CONTENT_LENGTH,
  MAX_ID_LENGTH,
  MAX_RECIPIENTS,
  messageInputSchema,
  parseMessageInput,
} from '../../src/ingress/message-input.ts';

const valid = { conversationId: 'c1', senderId: 'u1', content: 'hello', clientMessageId: 'm1', recipientIds: ['u2'] };
const long = (n: number) => 'x'.repeat(n);

const bodies: unknown[] = [
  valid,
  { ...valid, contentType: 'markdown' },
  { ...valid, contentType: 'image/webp', recipientIds: ['a', 'b', 'c'] },
  { ...valid, content: 'emoji 😀 "quotes" \\ \n\t é \u007f', conversationId: 'conv "a", {b} \u007f' },
  { ...valid, conversationId: long(MAX_ID_LENGTH), content: long(MAX_CONTENT_LENGTH) },
  { ...valid, recipientIds: Array.from({ length: MAX_RECIPIENTS }, (_, i) => `r${i}`) },
  // refused
  null,
  'text',
  42,
  [valid],
  {},
  { ...valid, extra: 1 },
  { ...valid, conversationId: '' },
  { ...valid, conversationId: long(MAX_ID_LENGTH + 1) },
  { ...valid, senderId: 'a\nb' },
  { ...valid, senderId: 'a\u001fb' },
  { ...valid, clientMessageId: 'a\u0000' },
  { ...valid, clientMessageId: 'lone \ud800' },
  { ...valid, clientMessageId: 7 },
  { ...valid, content: '' },
  { ...valid, content: long(MAX_CONTENT_LENGTH + 1) },
  { ...valid, content: 'a\u0000b' },
  { ...valid, content: 'a\udc00b' },
  { ...valid, content: null },
  { ...valid, contentType: 'video/x-unknown' },
  { ...valid, contentType: null },
  { ...valid, contentType: 1 },
  { ...valid, recipientIds: [] },
  { ...valid, recipientIds: 'u2' },
  { ...valid, recipientIds: ['a', 'a'] },
  { ...valid, recipientIds: ['a', ''] },
  { ...valid, recipientIds: ['a', 3] },
  { ...valid, recipientIds: ['r\udc00'] },
  { ...valid, recipientIds: Array.from({ length: MAX_RECIPIENTS + 1 }, (_, i) => `r${i}`) },
  Object.fromEntries(Object.entries(valid).filter(([k]) => k !== 'senderId')),
  JSON.parse(
    '{"__proto__": {"x": 1}, "conversationId": "c1", "senderId": "u1", "content": "hi", "clientMessageId": "m1", "recipientIds": ["u2"]}',
  ),
];

describe('parseMessageInput', () => {
  test('accepts and refuses exactly what the schema does, with the same output and issues', () => {
    for (const body of bodies) {
      const fast = parseMessageInput(body);
      const schema = messageInputSchema.safeParse(body);
      assert.equal(fast.success, schema.success, JSON.stringify(body)?.slice(0, 120));
      if (fast.success && schema.success) assert.deepEqual(fast.data, schema.data);
      if (!fast.success && !schema.success) assert.deepEqual(fast.error.issues, schema.error.issues);
    }
  });

  test('the output is a copy: changing the body afterwards changes nothing', () => {
    const body = { ...valid, recipientIds: ['u2'] };
    const parsed = parseMessageInput(body);
    assert.ok(parsed.success);
    body.recipientIds.push('u3');
    assert.deepEqual(parsed.data.recipientIds, ['u2']);
  });
});
