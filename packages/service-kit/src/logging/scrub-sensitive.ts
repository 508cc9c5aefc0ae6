import { isLuhnValid } from './luhn.ts';

export const REDACTED = '[REDACTED]';
export const REDACTED_PAN = '[REDACTED_PAN]';
export const REDACTED_JWT = '[REDACTED_JWT]';

/** Keys whose values are always replaced, compared after lower-casing and dropping `-`, `_` and spaces. */
export const SENSITIVE_KEYS: readonly string[] = [
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'pan',
  'cvv',
  'cvv2',
  'cvc',
  'cvc2',
  'pin',
  'cardnumber',
  'ccnumber',
  'creditcard',
  'idempotencykey',
];

/** A key containing any of these fragments is sensitive too (`newPassword`, `client_secret`, `refreshToken`). */
export const SENSITIVE_KEY_FRAGMENTS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'privatekey',
  'cardnumber',
  'credential',
];

const MAX_DEPTH = 8;

export function isSensitiveKey(key: string, extraKeys: readonly string[] = []): boolean {
  const normalized = key.toLowerCase().replace(/[-_\s]/g, '');
  if (SENSITIVE_KEYS.includes(normalized) || extraKeys.includes(normalized)) return true;
  return SENSITIVE_KEY_FRAGMENTS.some((fragment) => normalized.includes(fragment));
}

/**
 * Copy of `value` with the values of sensitive keys replaced, at any depth of plain objects and
 * arrays. Class instances (errors, requests) are left to their serializers; their text is still
 * scrubbed by `scrubText` on the final log line.
 */
export function redactSensitiveKeys(value: unknown, extraKeys: readonly string[] = [], depth = 0): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactSensitiveKeys(item, extraKeys, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = isSensitiveKey(key, extraKeys) ? REDACTED : redactSensitiveKeys(inner, extraKeys, depth + 1);
  }
  return out;
}

// 13-19 contiguous digits, or the usual printed groupings (4-4-4-1..7 and Amex 4-6-5) with one
// consistent space or dash. Neighbouring digits or a decimal point mean it is part of another number.
const PAN_CANDIDATE = /(?<![\d.])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{5})(?![\d]|\.\d)/g;
const JWT_LIKE = /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const AUTH_SCHEME = /\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
const SECRET_QUERY_PARAM =
  /([?&;](?:password|passwd|pwd|token|access_token|refresh_token|id_token|api_key|apikey|secret|client_secret|code|signature|sig)=)[^&\s"\\#]+/gi;
const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;

/**
 * Replace card numbers (Luhn-valid 13-19 digit runs), JWTs, bearer/basic credentials, secret
 * query parameters and PEM private keys inside free text. Safe on a serialized JSON log line: a
 * bare JSON number that is a PAN becomes a JSON string, so the line stays valid JSON.
 */
export function scrubText(text: string): string {
  let out = text.replace(PAN_CANDIDATE, (match: string, _sep1: unknown, _sep2: unknown, offset: number, whole: string) => {
    const digits = match.replace(/[ -]/g, '');
    if (digits.length < 13 || digits.length > 19 || !isLuhnValid(digits)) return match;
    const before = whole[offset - 1];
    const after = whole[offset + match.length];
    const bareJsonNumber = (before === ':' || before === '[' || before === ',') && (after === ',' || after === '}' || after === ']');
    return bareJsonNumber ? `"${REDACTED_PAN}"` : REDACTED_PAN;
  });
  if (out.includes('eyJ')) out = out.replace(JWT_LIKE, REDACTED_JWT);
  out = out.replace(AUTH_SCHEME, (_m, scheme: string, space: string) => `${scheme}${space}${REDACTED}`);
  out = out.replace(SECRET_QUERY_PARAM, (_m, prefix: string) => `${prefix}${REDACTED}`);
  if (out.includes('PRIVATE KEY-----')) out = out.replace(PRIVATE_KEY_BLOCK, REDACTED);
  return out;
}
