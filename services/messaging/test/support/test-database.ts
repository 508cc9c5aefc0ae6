import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createTestDatabase as createKitTestDatabase, runCutover, type TestDatabase } from '@cutover/service-kit/testing';
import { MIGRATIONS_DIR } from './paths.ts';

export type { TestDatabase };

/** A new, empty database for one test file: `msg_<label>_<random>`. */
export const createTestDatabase = (label: string): Promise<TestDatabase> => createKitTestDatabase(label, { prefix: 'msg' });

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
