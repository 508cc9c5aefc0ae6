/** Who holds a lock or blocks a statement: enough to find the session and decide what to do. */
export interface LockHolder {
  pid: number;
  applicationName: string;
  clientAddr: string | null;
  /** ISO time the holder's current (or last) query started. */
  queryStart: string | null;
  /** ISO time the holder's transaction started; null outside a transaction. */
  xactStart: string | null;
  state: string | null;
  /** The holder's current or last query, cut to 500 characters. */
  query: string;
}

export const LOCK_HOLDER_COLUMNS = `a.pid, a.application_name, a.client_addr::text as client_addr,
  a.query_start, a.xact_start, a.state, left(a.query, 500) as query`;

export function toLockHolder(row: Record<string, unknown>): LockHolder {
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v == null ? null : String(v));
  return {
    pid: Number(row.pid),
    applicationName: String(row.application_name ?? ''),
    clientAddr: row.client_addr == null ? null : String(row.client_addr),
    queryStart: iso(row.query_start),
    xactStart: iso(row.xact_start),
    state: row.state == null ? null : String(row.state),
    query: String(row.query ?? ''),
  };
}

/** One line for humans: `pid 123 (cutover-migrate host:42) from 10.0.0.5, running since 12:00:01: ALTER ...`. */
export function describeLockHolder(holder: LockHolder): string {
  const app = holder.applicationName ? ` (${holder.applicationName})` : '';
  const from = holder.clientAddr ? ` from ${holder.clientAddr}` : ' (local socket)';
  const since = holder.xactStart ?? holder.queryStart;
  const query = holder.query.replace(/\s+/g, ' ').trim();
  return `pid ${holder.pid}${app}${from}${since ? `, transaction open since ${since}` : ''}${holder.state ? `, ${holder.state}` : ''}${query ? `: ${query.slice(0, 160)}` : ''}`;
}
