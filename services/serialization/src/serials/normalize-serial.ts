/**
 * Serial values as received and as compared. A serial is stored raw (as printed) and compared
 * normalized: trimmed and upper-cased, so `ab-12` and `AB-12 ` are the same serial. Allowed
 * characters are GS1's AI (21) set ("CSET 82": letters, digits and ! " % & ' ( ) * + , - . / : ;
 * < = > ? _), at most 20 of them, as on a GS1 label.
 */

export const MAX_SERIAL_LENGTH = 20;
/** Placeholders carry this prefix and nothing else may: a temporary id is visibly not final. */
export const PLACEHOLDER_PREFIX = 'TMP-';

const CSET_82 = /^[A-Za-z0-9!"%&'()*+,\-./:;<=>?_]+$/;

export type SerialCheck = { ok: true; normalized: string } | { ok: false; reason: string };

export function normalizeSerial(raw: string): string {
  return raw.trim().toUpperCase();
}

/** Validates a vendor or system serial (placeholders are made by the service, never given). */
export function checkSerial(raw: string): SerialCheck {
  const trimmed = raw.trim();
  if (trimmed.length === 0) return { ok: false, reason: 'is empty' };
  if (trimmed.length > MAX_SERIAL_LENGTH)
    return { ok: false, reason: `is ${trimmed.length} characters long (at most ${MAX_SERIAL_LENGTH})` };
  if (!CSET_82.test(trimmed)) {
    return {
      ok: false,
      reason: 'has characters outside the GS1 serial set (letters, digits and ! " % & \' ( ) * + , - . / : ; < = > ? _)',
    };
  }
  const normalized = normalizeSerial(trimmed);
  if (normalized.startsWith(PLACEHOLDER_PREFIX))
    return { ok: false, reason: `starts with ${PLACEHOLDER_PREFIX}, which is reserved for placeholders` };
  return { ok: true, normalized };
}
