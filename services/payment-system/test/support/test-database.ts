import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { AUTH_DIR, PAYMENTS_DIR } from './paths.ts';
import { runCutover } from './run-cli.ts';

const ADMIN_URL = process.env.PAYMENT_SYSTEM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  /** Close the pool and drop the database, forcing out sessions left by killed processes. */
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

/** A new, empty database for one test file: `ps_<label>_<random>`. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `ps_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
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

/**
 * Applies a service's migrations with `cutover migrate up`, as the deploy pipeline does, from the
 * service's migrations directory (the real cutover.yml takes them from the release being deployed).
 */
export async function migrate(service: 'auth' | 'payments', databaseUrl: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ps-migrate-'));
  try {
    const config = join(dir, 'cutover.yml');
    const migrations = `${service === 'auth' ? AUTH_DIR : PAYMENTS_DIR}migrations`;
    writeFileSync(
      config,
      `service: ps-migrate\nprocesses: { web: { command: "true" } }\nmigrations: { directory: ${JSON.stringify(migrations)}, databaseUrlEnv: TEST_DATABASE_URL }\n`,
    );
    const result = await runCutover(['migrate', 'up', '--config', config], { env: { TEST_DATABASE_URL: databaseUrl }, timeoutMs: 60_000 });
    if (result.code !== 0) throw new Error(`cutover migrate up (${service}) exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
