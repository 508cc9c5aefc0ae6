import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Pool } from 'pg';
import { ServiceKitError } from '../service-kit-error.ts';

/** Absolute path of the migration services copy or include in their own migration set. */
export const IDEMPOTENCY_MIGRATION_PATH = fileURLToPath(new URL('../../migrations/0001_idempotency_keys.sql', import.meta.url));

/** Split a `-- migrate:up` / `-- migrate:down` file into its two parts. */
export function splitMigration(text: string, where = 'migration'): { up: string; down: string } {
  const upAt = text.indexOf('-- migrate:up');
  const downAt = text.indexOf('-- migrate:down');
  if (upAt < 0) {
    throw new ServiceKitError('SVC_ERR_MIGRATION_INVALID', `${where} has no "-- migrate:up" line`, {
      where,
      hint: 'Start the forward part of the file with a "-- migrate:up" line.',
    });
  }
  const upEnd = downAt > upAt ? downAt : text.length;
  return {
    up: text.slice(upAt + '-- migrate:up'.length, upEnd).trim(),
    down: downAt > upAt ? text.slice(downAt + '-- migrate:down'.length).trim() : '',
  };
}

/** Create the idempotency table (the migration's up part) on `pool`; for tests and quick starts. */
export async function createIdempotencyTable(pool: Pool): Promise<void> {
  const { up } = splitMigration(await readFile(IDEMPOTENCY_MIGRATION_PATH, 'utf8'), IDEMPOTENCY_MIGRATION_PATH);
  await pool.query(up);
}
