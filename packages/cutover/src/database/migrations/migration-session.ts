import { hostname } from 'node:os';
import pg from 'pg';
import { CutoverError } from '../../errors/cutover-error.ts';

/** Seconds-level detection of a vanished client, so a killed runner's lock is freed mid-query (PostgreSQL 14+). */
export const CLIENT_CHECK_INTERVAL_MS = 1_000;
const CLIENT_CHECK_SINCE = 140_000;

/** Two connections: `control` holds the migrations lock and watches; `ddl` runs the migrations. */
export interface MigrationSession {
  control: pg.Client;
  ddl: pg.Client;
  ddlPid: number;
  serverVersionNum: number;
  close(): Promise<void>;
}

/** application_name of runner sessions, so a holder or a blocked statement is easy to recognize. */
export function runnerApplicationName(): string {
  return `cutover-migrate ${hostname()}:${process.pid}`.slice(0, 63);
}

export async function openMigrationSession(databaseUrl: string): Promise<MigrationSession> {
  const connect = async (role: string) => {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: `${runnerApplicationName()}`.slice(0, 63) });
    client.on('error', () => {
      // A dropped connection surfaces as a failed query; this keeps it from crashing the process.
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => {});
      throw new CutoverError(
        'CUT_ERR_MIGRATE_CONNECT',
        `cannot connect to the database for migrations (${role}): ${(error as Error).message}`,
        {
          where: redactUrl(databaseUrl),
          hint: 'check the URL, that the server is up, and that this host may connect',
          cause: error,
        },
      );
    }
    return client;
  };
  const control = await connect('lock');
  let ddl: pg.Client;
  try {
    ddl = await connect('ddl');
  } catch (error) {
    await control.end().catch(() => {});
    throw error;
  }
  const { rows } = await ddl.query<{ pid: number; version: string }>('select pg_backend_pid() as pid, current_setting($1) as version', [
    'server_version_num',
  ]);
  const serverVersionNum = Number(rows[0].version);
  if (serverVersionNum >= CLIENT_CHECK_SINCE) {
    for (const client of [control, ddl]) await client.query(`set client_connection_check_interval = ${CLIENT_CHECK_INTERVAL_MS}`);
  }
  return {
    control,
    ddl,
    ddlPid: rows[0].pid,
    serverVersionNum,
    async close() {
      await Promise.all([ddl.end().catch(() => {}), control.end().catch(() => {})]);
    },
  };
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@');
}
