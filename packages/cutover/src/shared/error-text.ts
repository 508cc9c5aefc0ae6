/**
 * A one-line description of a thrown value for measurement reasons. fetch() reports every network
 * failure as "fetch failed" and puts the useful part (ECONNREFUSED, a DNS error) in `cause`.
 */
export function errorText(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(errorText).join('; ') || 'connection failed';
  if (error instanceof Error) {
    const own = error.message || (error as NodeJS.ErrnoException).code || error.name;
    return error.cause === undefined ? own : `${own} (${errorText(error.cause)})`;
  }
  return String(error);
}
