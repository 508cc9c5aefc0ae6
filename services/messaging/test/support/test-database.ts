import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import pg from 'pg';
import { MIGRATIONS_DIR } from './paths.ts';
import { runCutover } from './run-cli.ts';

const ADMIN_URL = process.env.MESSAGING_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  /** Closes the pool and drops the database, forcing out sessions left by killed processes. */
  drop(): Promise<void>;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new, empty database for one test file: `msg_<label>_<random>`. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `msg_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 5 });
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
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Applies the service's migrations with `cutover migrate up`, as a deploy does. */
export async function migrate(databaseUrl: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'msg-migrate-'));
  try {
    const config = join(dir, 'cutover.yml');
    writeFileSync(
      config,
      `service: msg-migrate\nprocesses: { web: { command: "true" } }\nmigrations: { directory: ${JSON.stringify(relative(dir, MIGRATIONS_DIR))}, databaseUrlEnv: TEST_DATABASE_URL }\n`,
    );
    const result = await runCutover(['migrate', 'up', '--config', config], { env: { TEST_DATABASE_URL: databaseUrl }, timeoutMs: 60_000 });
    if (result.code !== 0) throw new Error(`cutover migrate up exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A migrated database. */
export async function createMigratedDatabase(label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(label);
  try {
    await migrate(db.url);
    return db;
  } catch (error) {
    await db.drop();
    throw error;
  }
}
