import { randomUUID } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): the first 48 bits are the Unix time in milliseconds, the rest
 * random. Rows registered one after another get ids that sort near each other, so the primary
 * key indexes of `serials` and `system_generated_serials` grow at their right edge instead of
 * touching a random leaf page per row (gen_random_uuid's version 4).
 */
export function timeOrderedId(now = Date.now()): string {
  const random = randomUUID();
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}
