/** Longest key accepted (Stripe's limit; the draft leaves it to the server). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

export type ParsedIdempotencyKey = { ok: true; key: string } | { ok: false; reason: 'missing' | 'invalid' | 'multiple'; detail: string };

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * Read an `Idempotency-Key` header. The draft makes it an RFC 8941 sf-string (`"8e03978e-…"`);
 * a bare token (`8e03978e-…`) is accepted too because many clients send it unquoted. More than
 * one key (a repeated header arrives comma-joined) is refused.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): ParsedIdempotencyKey {
  if (header === undefined) return { ok: false, reason: 'missing', detail: 'this operation requires an Idempotency-Key header' };
  if (Array.isArray(header)) {
    return header.length === 1
      ? parseIdempotencyKey(header[0])
      : { ok: false, reason: 'multiple', detail: 'send exactly one Idempotency-Key' };
  }
  const text = header.trim();
  let key: string;
  if (text.startsWith('"')) {
    let i = 1;
    key = '';
    for (; i < text.length; i++) {
      const ch = text[i];
      if (ch === '\\') {
        const next = text[i + 1];
        if (next !== '"' && next !== '\\') return { ok: false, reason: 'invalid', detail: 'bad escape in Idempotency-Key string' };
        key += next;
        i++;
      } else if (ch === '"') {
        break;
      } else {
        key += ch;
      }
    }
    if (i >= text.length) return { ok: false, reason: 'invalid', detail: 'unterminated Idempotency-Key string' };
    const rest = text.slice(i + 1).trim();
    if (rest.startsWith(',')) return { ok: false, reason: 'multiple', detail: 'send exactly one Idempotency-Key' };
    if (rest !== '' && !rest.startsWith(';'))
      return { ok: false, reason: 'invalid', detail: 'unexpected text after the Idempotency-Key string' };
  } else {
    if (text.includes(',')) return { ok: false, reason: 'multiple', detail: 'send exactly one Idempotency-Key' };
    key = text;
  }
  if (key.length === 0) return { ok: false, reason: 'invalid', detail: 'Idempotency-Key is empty' };
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return { ok: false, reason: 'invalid', detail: `Idempotency-Key is longer than ${MAX_IDEMPOTENCY_KEY_LENGTH} characters` };
  }
  if (!PRINTABLE_ASCII.test(key)) return { ok: false, reason: 'invalid', detail: 'Idempotency-Key must be printable ASCII' };
  return { ok: true, key };
}
