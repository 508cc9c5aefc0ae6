import { z } from 'zod';

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The longest delay a Node.js timer holds (2^31-1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The forms every duration accepts, for messages. */
export const DURATION_FORMS = 'a duration such as 500ms, 30s, 2m, 1h or a number of milliseconds';

/** Parses "250ms", "30s", "2m", "1h", "7d" or a plain number of milliseconds. Returns undefined when malformed. */
export function parseDurationMs(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

/**
 * A duration field: a number of milliseconds or a string such as "30s". Parses to milliseconds.
 * A duration that a timer waits for must fit a timer (MAX_TIMER_MS); pass `{ timer: false }` for
 * an age that is only compared (a backup's maximum age).
 */
export function durationMs(options: { timer?: boolean } = {}) {
  const timer = options.timer ?? true;
  return z.unknown().transform((value, ctx): number => {
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: 'is required' });
      return z.NEVER;
    }
    const ms = typeof value === 'number' || typeof value === 'string' ? parseDurationMs(value) : undefined;
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be ${DURATION_FORMS} (got ${describeValue(value)})` });
      return z.NEVER;
    }
    if (timer && ms > MAX_TIMER_MS) {
      ctx.addIssue({
        code: 'custom',
        message: `must be at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest a timer can wait; got ${ms} ms)`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

/** A value as a message shows it: strings quoted, lists and mappings by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}
