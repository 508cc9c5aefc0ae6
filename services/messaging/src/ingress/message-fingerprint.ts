import { hash } from 'node:crypto';
import type { MessageInput } from './message-input.ts';

/**
 * sha256 of the message as validated (defaults applied, key order ignored): a retry of the same
 * send has the same fingerprint; the same clientMessageId with other content does not.
 *
 * The hashed text is the kit's canonicalJson of the input (keys sorted at every depth), written out
 * here for the one shape a validated message has: the same bytes (the tests hold the two equal, so
 * fingerprints stored by earlier releases still match), without sorting keys per request.
 */
export function messageFingerprint(input: MessageInput): string {
  const recipients = input.recipientIds.map((id) => JSON.stringify(id)).join(',');
  const canonical = `{"clientMessageId":${JSON.stringify(input.clientMessageId)},"content":${JSON.stringify(input.content)},"contentType":${JSON.stringify(input.contentType)},"conversationId":${JSON.stringify(input.conversationId)},"recipientIds":[${recipients}],"senderId":${JSON.stringify(input.senderId)}}`;
  // One-shot hash: no Hash object per message.
  return hash('sha256', canonical, 'hex');
}
