import type pg from 'pg';

/** A session of an application on the target database (our own session is never listed). */
export interface AppConnection {
  pid: number;
  user: string | null;
  application: string;
  clientAddr: string | null;
  state: string | null;
}

/** Client sessions connected to `database`, excluding this connection and background workers. */
export async function listAppConnections(client: pg.Client, database: string): Promise<AppConnection[]> {
  const result = await client.query<AppConnection>(
    `select pid, usename as user, coalesce(application_name, '') as application, client_addr::text as "clientAddr", state
     from pg_stat_activity
     where datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend'
     order by pid`,
    [database],
  );
  return result.rows;
}

/** Ends every client session on `database` except ours; returns how many were signalled. */
export async function terminateConnections(client: pg.Client, database: string): Promise<number> {
  const result = await client.query<{ ok: boolean }>(
    `select pg_terminate_backend(pid) as ok from pg_stat_activity
     where datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend'`,
    [database],
  );
  return result.rows.filter((r) => r.ok).length;
}

export async function databaseExists(client: pg.Client, database: string): Promise<boolean> {
  return (await client.query('select 1 from pg_database where datname = $1', [database])).rowCount === 1;
}

/**
 * Creates an empty database from template0 with the encoding, locale and owner of `like` (when it
 * exists), so a restore into it behaves like the original.
 */
export async function createEmptyDatabase(client: pg.Client, name: string, like?: string): Promise<void> {
  let clause = '';
  if (like !== undefined) {
    const row = (
      await client.query<{ encoding: string; collate: string; ctype: string; owner: string }>(
        `select pg_encoding_to_char(encoding) as encoding, datcollate as collate, datctype as ctype, pg_get_userbyid(datdba) as owner
         from pg_database where datname = $1`,
        [like],
      )
    ).rows[0];
    if (row) {
      clause =
        ` encoding ${client.escapeLiteral(row.encoding)} lc_collate ${client.escapeLiteral(row.collate)}` +
        ` lc_ctype ${client.escapeLiteral(row.ctype)} owner ${client.escapeIdentifier(row.owner)}`;
    }
  }
  await client.query(`create database ${client.escapeIdentifier(name)} template template0${clause}`);
}

/** DROP DATABASE IF EXISTS ... WITH (FORCE): scratch databases must go even if something connected. */
export async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`);
}

/** Database names are limited to 63 bytes; ids and stamps are ASCII, so slicing is safe. */
export function databaseName(base: string, suffix: string): string {
  const clean = (text: string) => text.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const tail = `_${clean(suffix)}`;
  return `${clean(base).slice(0, 63 - tail.length)}${tail}`;
}

/** databaseName(), with _2, _3... appended until no database has that name. */
export async function freeDatabaseName(client: pg.Client, base: string, suffix: string): Promise<string> {
  for (let n = 1; ; n++) {
    const name = databaseName(base, n === 1 ? suffix : `${suffix}_${n}`);
    if (!(await databaseExists(client, name))) return name;
  }
}
