import { createHash } from 'node:crypto';
import { canonicalJson } from '@cutover/service-kit';
import type { MessageInput } from './message-input.ts';

/**
 * sha256 of the message as validated (defaults applied, key order ignored): a retry of the same
 * send has the same fingerprint; the same clientMessageId with other content does not.
 */
export function messageFingerprint(input: MessageInput): string {
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}
