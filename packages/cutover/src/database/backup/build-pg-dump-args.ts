import type { PgTarget } from './pg-target.ts';

export interface PgDumpArgsOptions {
  target: PgTarget;
  /** Where the custom-format dump is written. */
  file: string;
  /** pg_dump --lock-wait-timeout in milliseconds: fail instead of queueing behind DDL. */
  lockWaitTimeoutMs: number;
  /** An exported snapshot (pg_export_snapshot) so the dump and the manifest's counts see the same data. */
  snapshot?: string;
  /** --compress level 0-9 (omitted: pg_dump's default). */
  compressLevel?: number;
}

/** pg_dump arguments for a custom-format (-Fc) dump. The password travels in PGPASSWORD, never here. */
export function buildPgDumpArgs(options: PgDumpArgsOptions): string[] {
  const { target } = options;
  const args = [
    '--format=custom',
    `--file=${options.file}`,
    `--lock-wait-timeout=${Math.max(1, Math.round(options.lockWaitTimeoutMs))}`,
    '--no-password',
    `--host=${target.host}`,
    `--port=${target.port}`,
    `--username=${target.user}`,
    `--dbname=${target.database}`,
  ];
  if (options.snapshot !== undefined) args.push(`--snapshot=${options.snapshot}`);
  if (options.compressLevel !== undefined) args.push(`--compress=${options.compressLevel}`);
  return args;
}
