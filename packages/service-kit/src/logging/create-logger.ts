import pino, { type DestinationStream, type Logger } from 'pino';
import { redactSensitiveKeys, scrubText } from './scrub-sensitive.ts';

/** Default log level when none is given. */
export const DEFAULT_LOG_LEVEL = 'info';

export interface CreateLoggerOptions {
  /** Logged as `name` on every line (the service name). */
  name: string;
  /** pino level; default `DEFAULT_LOG_LEVEL` ('info'). */
  level?: string;
  /** Where lines go; default stdout (synchronous, so nothing is lost on exit). */
  destination?: { write(chunk: string): unknown };
  /** Extra fields on every line (e.g. `{ instance: 'a1' }`). */
  base?: Record<string, unknown>;
  /** More sensitive key names, beyond `SENSITIVE_KEYS` (matched case- and separator-insensitively). */
  extraSensitiveKeys?: string[];
}

/**
 * Make one finished log line safe. Works on the final line rather than in pino's formatters
 * because only the final line contains everything: child bindings, serializer output (errors,
 * requests) and the message. Text patterns go first, so that a card number written as a bare
 * JSON number becomes a string before JSON.parse could round it.
 */
export function sanitizeLogLine(line: string, extraKeys: readonly string[] = []): string {
  const scrubbed = scrubText(line);
  const trimmed = scrubbed.trimEnd();
  if (!trimmed.startsWith('{')) return scrubbed;
  try {
    return `${JSON.stringify(redactSensitiveKeys(JSON.parse(trimmed), extraKeys))}\n`;
  } catch {
    return scrubbed;
  }
}

/**
 * A pino logger that cannot leak credentials or card numbers: every line has sensitive keys
 * censored at any depth and PANs, JWTs, bearer tokens and secret query parameters replaced (see
 * `sanitizeLogLine`). Timestamps are ISO strings so that an epoch-millisecond value is never
 * mistaken for a 13-digit card number.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const extraKeys = (options.extraSensitiveKeys ?? []).map((key) => key.toLowerCase().replace(/[-_\s]/g, ''));
  const target = options.destination ?? pino.destination({ dest: 1, sync: true });
  const sanitizing: DestinationStream = {
    write(line: string) {
      target.write(sanitizeLogLine(line, extraKeys));
    },
  };
  return pino(
    {
      name: options.name,
      level: options.level ?? DEFAULT_LOG_LEVEL,
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    sanitizing,
  );
}
