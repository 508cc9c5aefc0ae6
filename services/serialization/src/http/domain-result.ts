/**
 * An expected refusal of the domain (a duplicate, a bad transition, a cycle): a value the routes
 * turn into a problem document, never an exception. `ok: false` also makes `withTransaction`
 * roll back, so a refused request changes nothing.
 */
export interface Refusal {
  ok: false;
  status: 400 | 404 | 409 | 422 | 503;
  /** Stable machine-readable code, e.g. `serial_duplicate_in_scope`. */
  code: string;
  detail: string;
  extra?: Record<string, unknown>;
}

export type Result<T> = ({ ok: true } & T) | Refusal;

export function refuse(status: Refusal['status'], code: string, detail: string, extra?: Record<string, unknown>): Refusal {
  return { ok: false, status, code, detail, ...(extra ? { extra } : {}) };
}

/** Problem `type` of a refusal code. */
export const problemType = (code: string) => `urn:serialization:problem:${code.replaceAll('_', '-')}`;
