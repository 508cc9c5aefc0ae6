// UNIQUENESS_SERVICE_MAX_RETRIES / UNIQUENESS_SERVICE_RETRY_DELAY: a card write that fails for a
// transient reason (serialization failure, deadlock, lock timeout, lost connection, server shutting
// down) is retried with a doubling delay. A unique violation is never retried: with constructed
// PANs it means a bug, and retrying would hide it.

const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55P03', '57P01', '57P02', '57P03', '08000', '08003', '08006', '53300']);
export const UNIQUE_VIOLATION = '23505';

export function isTransientDatabaseError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && TRANSIENT_SQLSTATES.has(code)) return true;
  return typeof code === 'string' && ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code);
}

export function uniqueViolationConstraint(error: unknown): string | undefined {
  const e = error as { code?: unknown; constraint?: unknown };
  return e?.code === UNIQUE_VIOLATION ? String(e.constraint ?? 'unknown') : undefined;
}

export async function withWriteRetries<T>(
  work: () => Promise<T>,
  options: { maxRetries: number; retryDelayMs: number; onRetry?: (error: unknown, attempt: number) => void },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= options.maxRetries || !isTransientDatabaseError(error)) throw error;
      options.onRetry?.(error, attempt + 1);
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs * 2 ** Math.min(attempt, 10)));
    }
  }
}
