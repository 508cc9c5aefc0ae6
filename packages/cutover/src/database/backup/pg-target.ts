import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { parse as parseConnectionString } from 'pg-connection-string';
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
  /** The CA file that verify-ca and verify-full check the server against (PGSSLROOTCERT). */
  sslrootcert?: string;
}

export const DEFAULT_PG_PORT = 5432;

/**
 * Parses postgres:// or postgresql:// URLs (through pg-connection-string, as the `pg` client does),
 * including `?host=/socket/dir`, `?sslmode=` and `?sslrootcert=`.
 */
export function parsePgUrl(url: string): PgTarget {
  if (!/^postgres(ql)?:\/\//.test(url)) throw badUrl(url);
  let parsed: ReturnType<typeof parseConnectionString>;
  try {
    // libpq's meaning of each sslmode; verify-ca without sslrootcert is refused here.
    parsed = parseConnectionString(url, { useLibpqCompat: true });
  } catch (error) {
    if (/sslrootcert/.test((error as Error).message)) {
      throw new CutoverError('CUT_ERR_BACKUP_BAD_DATABASE_URL', `sslmode=verify-ca needs the CA to verify against: ${redactUrl(url)}`, {
        hint: 'add sslrootcert=/path/to/ca.pem to the URL (or use sslmode=verify-full)',
      });
    }
    throw badUrl(url);
  }
  const user = parsed.user || process.env.USER || 'postgres';
  const target: PgTarget = {
    host: parsed.host || 'localhost',
    port: parsed.port ? Number(parsed.port) : DEFAULT_PG_PORT,
    user,
    database: parsed.database || user,
  };
  if (parsed.password) target.password = parsed.password;
  const query = new URLSearchParams(url.slice(url.indexOf('?') + 1 || url.length));
  const sslmode = query.get('sslmode');
  if (sslmode) target.sslmode = sslmode;
  const sslrootcert = query.get('sslrootcert');
  if (sslrootcert) target.sslrootcert = sslrootcert;
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
  if (target.sslrootcert !== undefined) env.PGSSLROOTCERT = target.sslrootcert;
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
    ssl: buildTlsOptions(target),
    connectionTimeoutMillis: connectionTimeoutMs,
    application_name: 'cutover',
  };
}

/** For messages and manifests: never includes the password. */
export function describePgTarget(target: PgTarget): string {
  return `${target.user}@${target.host}:${target.port}/${target.database}`;
}

/**
 * TLS options with libpq's meaning of each sslmode: require (and prefer, allow) encrypts without
 * verifying; verify-ca checks the certificate chain against the CA but not the host name;
 * verify-full checks both.
 */
export function buildTlsOptions(target: PgTarget): ConnectionOptions | undefined {
  const mode = target.sslmode;
  if (mode === undefined || mode === 'disable') return undefined;
  const ca = target.sslrootcert === undefined ? {} : { ca: readFileSync(target.sslrootcert, 'utf8') };
  if (mode === 'verify-full') return { ...ca, rejectUnauthorized: true };
  if (mode === 'verify-ca') return { ...ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  return { rejectUnauthorized: false };
}

function redactUrl(url: string): string {
  return url.replace(/:\/\/([^:@/]*):[^@/]*@/, '://$1:***@');
}

function badUrl(url: string): CutoverError {
  const shown = redactUrl(url);
  return new CutoverError('CUT_ERR_BACKUP_BAD_DATABASE_URL', `not a PostgreSQL URL: ${shown}`, {
    hint: 'use postgres://user:password@host:5432/database',
  });
}
