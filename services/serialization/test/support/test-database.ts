import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, createTestDatabase as createKitTestDatabase, runCutover, type TestDatabase } from '@cutover/service-kit/testing';
import { MIGRATIONS_DIR } from './paths.ts';

export type { TestDatabase };

/** A new, empty database for one test file: `ser_<label>_<random>`. */
export const createTestDatabase = (label: string, poolMax = 10): Promise<TestDatabase> =>
  createKitTestDatabase(label, { prefix: 'ser', poolMax });

/** Runs `cutover migrate <args>` on the service's migrations against `databaseUrl`. */
export async function cutoverMigrate(databaseUrl: string, args: string[]): Promise<CliResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ser-migrate-'));
  try {
    const config = join(dir, 'cutover.yml');
    writeFileSync(
      config,
      `service: ser-migrate\nprocesses: { web: { command: "true" } }\nmigrations: { directory: ${JSON.stringify(MIGRATIONS_DIR)}, databaseUrlEnv: TEST_DATABASE_URL }\n`,
    );
    return await runCutover(['migrate', ...args, '--config', config], { env: { TEST_DATABASE_URL: databaseUrl }, timeoutMs: 90_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A database with the service's migrations applied by `cutover migrate up`, as a deploy does. */
export async function createMigratedDatabase(label: string, poolMax = 10): Promise<TestDatabase> {
  const db = await createTestDatabase(label, poolMax);
  const result = await cutoverMigrate(db.url, ['up']);
  if (result.code !== 0) {
    await db.drop();
    throw new Error(`cutover migrate up exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  }
  return db;
}
