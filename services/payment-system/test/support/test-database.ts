import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase as createKitTestDatabase, runCutover, type TestDatabase } from '@cutover/service-kit/testing';
import { AUTH_DIR, PAYMENTS_DIR } from './paths.ts';

export type { TestDatabase };

/** A new, empty database for one test file: `ps_<label>_<random>`. */
export const createTestDatabase = (label: string): Promise<TestDatabase> => createKitTestDatabase(label, { prefix: 'ps', poolMax: 5 });

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
