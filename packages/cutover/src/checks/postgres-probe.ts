import { describePgTarget, parsePgUrl } from '../database/backup/pg-target.ts';
import { type CheckOutcome, fail, pass } from './check-result.ts';
import { errorText } from './error-text.ts';

/** Connects and runs `select 1`, all within timeoutMs. Messages name the server, never the password. */
export async function probePostgres(url: string, timeoutMs: number): Promise<CheckOutcome> {
  let where: string;
  try {
    where = describePgTarget(parsePgUrl(url));
  } catch (error) {
    return fail((error as Error).message);
  }
  const startedAt = performance.now();
  // pg loads with the first probe that needs it: a deploy without a postgres check never loads it.
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'cutover-check',
  });
  client.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs}ms`)), timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.query('select 1');
      })(),
      deadline,
    ]);
    const latencyMs = Math.round(performance.now() - startedAt);
    return pass(`PostgreSQL ${where} answers select 1 (${latencyMs}ms)`, { latencyMs });
  } catch (error) {
    return fail(`PostgreSQL ${where}: ${errorText(error)}`, { error: (error as { code?: string }).code ?? errorText(error) });
  } finally {
    clearTimeout(timer);
    client.end().catch(() => {});
  }
}
