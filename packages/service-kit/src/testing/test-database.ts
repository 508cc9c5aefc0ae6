import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where test databases are created; override with CUTOVER_TEST_POSTGRES_URL. */
export const TEST_POSTGRES_ADMIN_URL = process.env.CUTOVER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  /** Closes the pool and drops the database, forcing out sessions left by killed processes. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Name prefix telling whose tests made the database (default `test`). */
  prefix?: string;
  /** Pool size of the returned pool (default 10). */
  poolMax?: number;
  adminUrl?: string;
}

/** A new, empty PostgreSQL database for one test file: `<prefix>_<label>_<random>`. */
export async function createTestDatabase(label: string, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl = options.adminUrl ?? TEST_POSTGRES_ADMIN_URL;
  const name = `${options.prefix ?? 'test'}_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: options.poolMax ?? 10 });
  // A test that kills a server or drops the database must not crash the runner through an idle client.
  pool.on('error', () => undefined);
  let dropped = false;
  return {
    name,
    url: url.toString(),
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end().catch(() => undefined);
      await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function admin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${adminUrl} (${(error as Error).message}): start it or set CUTOVER_TEST_POSTGRES_URL`);
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
