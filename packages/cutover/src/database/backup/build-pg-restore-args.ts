import type { PgTarget } from './pg-target.ts';

export interface PgRestoreArgsOptions {
  /** The (empty) database restored into: a scratch database for verify, a fresh one for restore. */
  target: PgTarget;
  file: string;
  /** --jobs: parallel restore (custom format allows it). */
  jobs: number;
}

/**
 * pg_restore arguments into an empty database. Verify and restore use the same flags so a passing
 * verify is evidence that the real restore works; --exit-on-error makes the first error fatal.
 */
export function buildPgRestoreArgs(options: PgRestoreArgsOptions): string[] {
  const { target } = options;
  const args = [
    '--exit-on-error',
    '--no-password',
    `--host=${target.host}`,
    `--port=${target.port}`,
    `--username=${target.user}`,
    `--dbname=${target.database}`,
  ];
  if (options.jobs > 1) args.push(`--jobs=${options.jobs}`);
  args.push(options.file);
  return args;
}

/** pg_restore --list: parses the dump's table of contents without touching a server. */
export function buildPgRestoreListArgs(file: string): string[] {
  return ['--list', file];
}
