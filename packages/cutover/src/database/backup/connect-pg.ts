import pg from 'pg';
import { CutoverError } from '../../errors/cutover-error.ts';
import { describePgTarget, type PgTarget, pgClientConfig } from './pg-target.ts';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** A connected client, or CUT_ERR_BACKUP_DATABASE_UNREACHABLE naming the server (never the password). */
export async function connectPg(target: PgTarget, connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<pg.Client> {
  const client = new pg.Client(pgClientConfig(target, connectTimeoutMs));
  // An idle client whose server goes away emits 'error'; without a listener that would crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    throw new CutoverError(
      'CUT_ERR_BACKUP_DATABASE_UNREACHABLE',
      `cannot connect to ${describePgTarget(target)}: ${(error as Error).message}`,
      {
        where: describePgTarget(target),
        hint: 'check that the server runs and the URL (host, port, user, password, database) is right',
        cause: error,
      },
    );
  }
}
