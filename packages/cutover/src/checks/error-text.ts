/** A non-empty one-line description of a thrown value (AggregateError from dual-stack connects has an empty message). */
export function errorText(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(errorText).join('; ') || 'connection failed';
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name;
  return String(error);
}
