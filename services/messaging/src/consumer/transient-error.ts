/**
 * SQLSTATE classes and codes that say "the database could not do it now", not "this message is
 * bad": connection failures (08), administrator shutdown (57P01-57P05), resource exhaustion (53),
 * serialization failures and deadlocks (40001, 40P01), and a lock waited for past lock_timeout
 * (55P03: another transaction holds what the batch must write; the consumer sets lock_timeout
 * below the statement timeout, so a wait for a lock ends as this, not as a timeout). A statement
 * timeout (57014) is not among them: a batch that is too slow by itself must end in the retry and
 * dead-letter way, not be held forever.
 */
const TRANSIENT_SQLSTATE = /^(08|53|57P0|40001$|40P01$|55P03$)/;

/** Node socket errors: the database or Redis is unreachable for the moment. */
const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * True when a failed batch should be held and tried again as it is (the next attempt can succeed
 * and costs no delivery), false when the data itself is refused (the entry goes the retry and
 * dead-letter way). Unknown errors count as data errors, so nothing can be held forever by them.
 */
export function isTransientError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (TRANSIENT_NODE_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_SQLSTATE.test(code);
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
    error.message,
  );
}
