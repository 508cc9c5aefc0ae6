import type pg from 'pg';
import type { SequenceSnapshot, TableSnapshot } from './backup-manifest.ts';
import { readMigrationVersion } from './read-migration-version.ts';

export interface DatabaseSnapshot {
  tables: TableSnapshot[];
  sequences: SequenceSnapshot[];
  migrationVersion: string | null;
}

export interface SnapshotOptions {
  /** Tables up to this many bytes get an exact count(*); larger ones pg_class.reltuples. Infinity: always exact. */
  exactCountMaxBytes: number;
  /** True inside the backup's snapshot transaction (errors must not abort it). */
  inTransaction: boolean;
}

interface TableRow {
  schema: string;
  name: string;
  columns: string[];
  bytes: string;
  estimate: string;
}

const TABLES_SQL = `
select n.nspname as schema, c.relname as name,
  coalesce((select array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) order by a.attnum)
            from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '{}') as columns,
  (case when c.relkind = 'p'
        then (select coalesce(sum(pg_relation_size(t.relid)), 0) from pg_partition_tree(c.oid) t)
        else pg_relation_size(c.oid) end)::text as bytes,
  (case when c.relkind = 'p'
        then (select coalesce(sum(greatest(k.reltuples, 0)), 0) from pg_partition_tree(c.oid) t join pg_class k on k.oid = t.relid)
        else greatest(c.reltuples, 0) end)::bigint::text as estimate
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'
  and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
order by 1, 2`;

const SEQUENCES_SQL = `
select schemaname as schema, sequencename as name, last_value::text as "lastValue"
from pg_sequences
where schemaname not in ('pg_catalog', 'information_schema')
order by 1, 2`;

/** Tables (columns, row counts), sequences and migration version of the connected database. */
export async function readDatabaseSnapshot(client: pg.Client, options: SnapshotOptions): Promise<DatabaseSnapshot> {
  const tableRows = (await client.query<TableRow>(TABLES_SQL)).rows;
  const tables: TableSnapshot[] = [];
  for (const row of tableRows) {
    const exact = Number(row.bytes) <= options.exactCountMaxBytes;
    let rows = Number(row.estimate);
    if (exact) {
      const qualified = `${client.escapeIdentifier(row.schema)}.${client.escapeIdentifier(row.name)}`;
      const counted = await client.query<{ n: string }>(`select count(*)::text as n from ${qualified}`);
      rows = Number(counted.rows[0].n);
    }
    tables.push({ schema: row.schema, name: row.name, columns: row.columns, rows, rowsExact: exact });
  }
  const sequences = (await client.query<SequenceSnapshot>(SEQUENCES_SQL)).rows;
  const migrationVersion = await readMigrationVersion(client, options.inTransaction);
  return { tables, sequences, migrationVersion };
}

/** Server version as text and its major number, e.g. { version: "15.20", major: 15 }. */
export async function readServerVersion(client: pg.Client): Promise<{ version: string; major: number }> {
  const result = await client.query<{ version: string; num: string }>(
    `select split_part(current_setting('server_version'), ' ', 1) as version, current_setting('server_version_num') as num`,
  );
  return { version: result.rows[0].version, major: Math.floor(Number(result.rows[0].num) / 10_000) };
}
