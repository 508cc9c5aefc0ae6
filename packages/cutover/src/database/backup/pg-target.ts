import { CutoverError } from '../../errors/cutover-error.ts';

/** A PostgreSQL server + database, split out of a URL so the password never lands on a command line. */
export interface PgTarget {
  host: string;
  port: number;
  user: string;
  database: string;
  password?: string;
  /** sslmode from the URL query, passed to libpq tools as PGSSLMODE. */
  sslmode?: string;
}

export const DEFAULT_PG_PORT = 5432;

/** Parses postgres:// or postgresql:// URLs, including `?host=/socket/dir` and `?sslmode=`. */
export function parsePgUrl(url: string): PgTarget {
  let parsed: URL;
  try {
    // WHATWG URLs reject user@ with an empty host (libpq's "default socket" form).
    parsed = new URL(url.replace(/^(postgres(?:ql)?:\/\/[^/@]*@)\//, '$1localhost/'));
  } catch {
    throw badUrl(url);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') throw badUrl(url);
  const host = parsed.searchParams.get('host') ?? decodeURIComponent(parsed.hostname || 'localhost');
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const user = decodeURIComponent(parsed.username) || process.env.USER || 'postgres';
  const target: PgTarget = {
    host: host.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : DEFAULT_PG_PORT,
    user,
    database: database || user,
  };
  if (parsed.password) target.password = decodeURIComponent(parsed.password);
  const sslmode = parsed.searchParams.get('sslmode');
  if (sslmode) target.sslmode = sslmode;
  return target;
}

/** The same server, another database (scratch databases, the maintenance database). */
export function withDatabase(target: PgTarget, database: string): PgTarget {
  return { ...target, database };
}

/** Environment for libpq tools: secrets go here, not into argv where `ps` shows them. */
export function buildPgEnv(target: PgTarget): Record<string, string> {
  const env: Record<string, string> = {};
  if (target.password !== undefined) env.PGPASSWORD = target.password;
  if (target.sslmode !== undefined) env.PGSSLMODE = target.sslmode;
  return env;
}

/** Connection options for the `pg` client. */
export function pgClientConfig(target: PgTarget, connectionTimeoutMs: number) {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    ssl: target.sslmode && target.sslmode !== 'disable' ? { rejectUnauthorized: target.sslmode === 'verify-full' } : undefined,
    connectionTimeoutMillis: connectionTimeoutMs,
    application_name: 'cutover',
  };
}

/** For messages and manifests: never includes the password. */
export function describePgTarget(target: PgTarget): string {
  return `${target.user}@${target.host}:${target.port}/${target.database}`;
}

function badUrl(url: string): CutoverError {
  const shown = url.replace(/:\/\/([^:@/]*):[^@/]*@/, '://$1:***@');
  return new CutoverError('CUT_ERR_BACKUP_BAD_DATABASE_URL', `not a PostgreSQL URL: ${shown}`, {
    hint: 'use postgres://user:password@host:5432/database',
  });
}
