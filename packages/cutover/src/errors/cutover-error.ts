import { ERROR_CODES, type ErrorCode } from './registry.ts';

export interface CutoverErrorOptions {
  /** What the user should do next. Shown under the message. */
  hint?: string;
  /** Where the problem is (a file, a config path, a port, an instance). */
  where?: string;
  /** Structured facts for --json output. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The one error type a user sees. Its code is stable and listed in docs/errors.md;
 * its exit code comes from the registry so every command exits the same way for the same problem.
 */
export class CutoverError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly where: string | undefined;
  readonly details: Record<string, unknown>;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: CutoverErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'CutoverError';
    this.code = code;
    this.hint = options.hint;
    this.where = options.where;
    this.details = options.details ?? {};
    this.exitCode = ERROR_CODES[code].exitCode;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      where: this.where,
      hint: this.hint,
      details: this.details,
      exitCode: this.exitCode,
    };
  }
}

export function isCutoverError(error: unknown): error is CutoverError {
  return error instanceof CutoverError;
}
