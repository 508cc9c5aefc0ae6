/** Stable codes for the errors a service operator sees; each maps to a process exit code. */
export const SERVICE_KIT_ERRORS = {
  SVC_ERR_CONFIG_INVALID: { exitCode: 78, title: 'Environment configuration failed validation' },
  SVC_ERR_OPTIONS_INVALID: { exitCode: 70, title: 'A service-kit API was called with invalid options' },
  SVC_ERR_MIGRATION_INVALID: { exitCode: 70, title: 'A migration file lacks its -- migrate:up part' },
} as const;

export type ServiceKitErrorCode = keyof typeof SERVICE_KIT_ERRORS;

export interface ServiceKitErrorOptions {
  /** What to do next. */
  hint?: string;
  /** Where the problem is (a variable, an option path, a file). */
  where?: string;
  /** Structured facts for machine output. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The kit's own error type. The kit is used by services, not by the cutover CLI, so it keeps
 * its own small registry (`SVC_ERR_*`) instead of importing the CLI's.
 */
export class ServiceKitError extends Error {
  readonly code: ServiceKitErrorCode;
  readonly hint: string | undefined;
  readonly where: string | undefined;
  readonly details: Record<string, unknown>;
  readonly exitCode: number;

  constructor(code: ServiceKitErrorCode, message: string, options: ServiceKitErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'ServiceKitError';
    this.code = code;
    this.hint = options.hint;
    this.where = options.where;
    this.details = options.details ?? {};
    this.exitCode = SERVICE_KIT_ERRORS[code].exitCode;
  }
}

export function isServiceKitError(error: unknown): error is ServiceKitError {
  return error instanceof ServiceKitError;
}
