// The ingress fingerprint is written out for the message's one shape; it must stay byte-for-byte the
// kit's canonical JSON hash, or a retry of a message accepted by an earlier release would be refused
// as a reused key.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { canonicalJson } from '@cutover/service-kit';
import { messageFingerprint } from '../../src/ingress/message-fingerprint.ts';
import { messageInputSchema } from '../../src/ingress/message-input.ts';

const reference = (value: unknown) => createHash('sha256').update(canonicalJson(value)).digest('hex');

describe('messageFingerprint', () => {
  test('equals the hash of the canonical JSON for every kind of content', () => {
    const bodies = [
      { conversationId: 'c1', senderId: 'u1', content: 'hello', clientMessageId: 'm1', recipientIds: ['u2'] },
      {
        conversationId: 'c "quoted" \\ back',
        senderId: 'ü-sender ✓',
        content: 'line\nbreak\ttab "quotes" \u2028 emoji 🎉 and </script>',
        contentType: 'markdown',
        clientMessageId: 'm\u00e9',
        recipientIds: ['b', 'a', 'c\u007f'],
      },
      {
        recipientIds: ['x', 'y'],
        clientMessageId: 'k',
        content: '{"json":true}',
        contentType: 'application/json',
        senderId: 's',
        conversationId: 'c',
      },
    ];
    for (const body of bodies) {
      const input = messageInputSchema.parse(body);
      assert.equal(messageFingerprint(input), reference(input), JSON.stringify(body));
    }
  });

  test('covers every field of the message (a new field must be added to the fingerprint)', () => {
    assert.deepEqual(Object.keys(messageInputSchema.shape).sort(), [
      'clientMessageId',
      'content',
      'contentType',
      'conversationId',
      'recipientIds',
      'senderId',
    ]);
  });

  test('differs when any field differs', () => {
    const base = messageInputSchema.parse({ conversationId: 'c', senderId: 's', content: 'x', clientMessageId: 'k', recipientIds: ['r'] });
    const variants = [
      { ...base, content: 'y' },
      { ...base, contentType: 'markdown' as const },
      { ...base, recipientIds: ['r', 'q'] },
      { ...base, conversationId: 'd' },
    ];
    for (const v of variants) assert.notEqual(messageFingerprint(v), messageFingerprint(base));
  });
});
