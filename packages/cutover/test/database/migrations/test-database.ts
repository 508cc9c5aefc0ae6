import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { defaultAppliedBy, type MigrationSettings } from '../../../src/database/migrations/migration-settings.ts';

/** Server the database tests use (trust auth on loopback); CUTOVER_TEST_PG_URL overrides it. */
export const ADMIN_URL = process.env.CUTOVER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  /** Runs one query on a short-lived connection. */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  /** A connected client the test must end (tracked: drop() ends it if the test did not). */
  connect(applicationName?: string): Promise<pg.Client>;
  drop(): Promise<void>;
}

/** Creates a database with a random suffix for one test file; drop() removes it even with open sessions. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const clients = new Set<pg.Client>();
  return {
    name,
    url,
    async query(sql, values) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql, values)).rows;
      } finally {
        await client.end();
      }
    },
    async connect(applicationName = 'cutover-test') {
      const client = new pg.Client({ connectionString: url, application_name: applicationName });
      client.on('error', () => {});
      await client.connect();
      clients.add(client);
      return client;
    },
    async drop() {
      await Promise.all([...clients].map((c) => c.end().catch(() => {})));
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      try {
        await a.query(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** A temp directory with a migrations/ folder; returns its path and a writer. */
export function createMigrationsDir(): {
  root: string;
  dir: string;
  write(file: string, text: string): void;
  remove(file: string): void;
  cleanup(): void;
} {
  const root = mkdtempSync(join(tmpdir(), 'cutover-migrations-'));
  const dir = join(root, 'migrations');
  mkdirSync(dir);
  return {
    root,
    dir,
    write: (file, text) => writeFileSync(join(dir, file), text),
    remove: (file) => rmSync(join(dir, file)),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Settings with short waits, suitable for tests. */
export function testSettings(url: string, dir: string, overrides: Partial<MigrationSettings> = {}): MigrationSettings {
  return {
    databaseUrl: url,
    directory: dir,
    lockTimeoutMs: 2_000,
    statementTimeoutMs: 60_000,
    lockWaitMs: 2_000,
    lockRetries: 3,
    retryBaseMs: 100,
    retryMaxMs: 1_000,
    lintRules: {},
    appliedBy: defaultAppliedBy(),
    ...overrides,
  };
}

/** Polls `check` until it returns true, failing after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
}
