import type pg from 'pg';
import type { HistoryRow } from './history-row.ts';

export const HISTORY_SCHEMA = 'cutover';
export const HISTORY_TABLE = `${HISTORY_SCHEMA}.migrations`;

/** A parameterized query: builders return these, executors run them. */
export interface SqlQuery {
  text: string;
  values: unknown[];
}

export const CREATE_HISTORY_TABLE_SQL = `create schema if not exists ${HISTORY_SCHEMA};
create table if not exists ${HISTORY_TABLE} (
  id text primary key,
  name text not null,
  checksum text not null,
  kind text not null check (kind in ('expand', 'contract')),
  status text not null check (status in ('applied', 'failed', 'running')),
  units_done integer not null default 0,
  started_at timestamptz not null default now(),
  applied_at timestamptz,
  duration_ms integer,
  applied_by text not null,
  error text,
  failed_line integer,
  repaired_reason text,
  repaired_at timestamptz
)`;

/** Creates the history table once; only called while holding the migrations lock. */
export async function ensureHistoryTable(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ exists: boolean }>('select to_regclass($1) is not null as exists', [HISTORY_TABLE]);
  if (!rows[0].exists) await client.query(CREATE_HISTORY_TABLE_SQL);
}

/** Every history row in id order; empty when the table does not exist yet. */
export async function readHistory(client: pg.ClientBase): Promise<HistoryRow[]> {
  const { rows: exists } = await client.query<{ exists: boolean }>('select to_regclass($1) is not null as exists', [HISTORY_TABLE]);
  if (!exists[0].exists) return [];
  const { rows } = await client.query(`select * from ${HISTORY_TABLE}`);
  return rows
    .map((r) => ({
      id: String(r.id),
      name: String(r.name),
      checksum: String(r.checksum),
      kind: r.kind,
      status: r.status,
      unitsDone: Number(r.units_done),
      startedAt: (r.started_at as Date).toISOString(),
      appliedAt: r.applied_at ? (r.applied_at as Date).toISOString() : null,
      durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
      appliedBy: String(r.applied_by),
      error: r.error,
      failedLine: r.failed_line,
      repairedReason: r.repaired_reason,
      repairedAt: r.repaired_at ? (r.repaired_at as Date).toISOString() : null,
    }))
    .sort((a, b) => Number(a.id) - Number(b.id));
}

export interface HistoryEntry {
  id: string;
  name: string;
  checksum: string;
  kind: 'expand' | 'contract';
  appliedBy: string;
}

/** Records progress: `running` with the units committed so far, or `applied` at the end. */
export function buildRecordProgress(
  entry: HistoryEntry,
  status: 'running' | 'applied',
  unitsDone: number,
  durationMs: number | null,
): SqlQuery {
  return {
    text: `insert into ${HISTORY_TABLE} (id, name, checksum, kind, status, units_done, applied_by, applied_at, duration_ms)
           values ($1, $2, $3, $4, $5, $6, $7, case when $5 = 'applied' then now() end, $8)
           on conflict (id) do update set name = excluded.name, checksum = excluded.checksum, kind = excluded.kind,
             status = excluded.status, units_done = excluded.units_done, applied_by = excluded.applied_by,
             applied_at = excluded.applied_at, duration_ms = excluded.duration_ms, error = null, failed_line = null`,
    values: [entry.id, entry.name, entry.checksum, entry.kind, status, unitsDone, entry.appliedBy, durationMs],
  };
}

/** Records a failure with the statement's line and the error, keeping the units already committed. */
export function buildRecordFailure(entry: HistoryEntry, unitsDone: number, error: string, failedLine: number | null): SqlQuery {
  return {
    text: `insert into ${HISTORY_TABLE} (id, name, checksum, kind, status, units_done, applied_by, error, failed_line)
           values ($1, $2, $3, $4, 'failed', $5, $6, $7, $8)
           on conflict (id) do update set status = 'failed', checksum = excluded.checksum, units_done = excluded.units_done,
             applied_by = excluded.applied_by, error = excluded.error, failed_line = excluded.failed_line`,
    values: [entry.id, entry.name, entry.checksum, entry.kind, unitsDone, entry.appliedBy, error, failedLine],
  };
}

export function buildDeleteHistory(id: string): SqlQuery {
  return { text: `delete from ${HISTORY_TABLE} where id = $1`, values: [id] };
}

/** Accepts the file as it is now for an applied migration, keeping the reason for the audit trail. */
export function buildRepairChecksum(id: string, name: string, checksum: string, reason: string): SqlQuery {
  return {
    text: `update ${HISTORY_TABLE} set checksum = $2, name = $3, repaired_reason = $4, repaired_at = now() where id = $1`,
    values: [id, checksum, name, reason],
  };
}

/** Marks a failed or interrupted migration as applied (the operator finished it by hand). */
export function buildMarkApplied(id: string, checksum: string, reason: string): SqlQuery {
  return {
    text: `update ${HISTORY_TABLE} set status = 'applied', checksum = $2, applied_at = now(), error = null, failed_line = null,
             repaired_reason = $3, repaired_at = now() where id = $1`,
    values: [id, checksum, reason],
  };
}
