/**
 * The settings that turn a base backup into a cluster recovering to a point in time (pure), and
 * the reading of its log afterwards.
 */

export interface RecoverySettingsInput {
  archiveDir: string;
  /** ISO 8601 with a zone, as PostgreSQL reads recovery_target_time. */
  targetTime: string;
  port: number;
  /** Where the restored cluster's unix socket goes (its own data directory: reachable only by its owner). */
  socketDir: string;
}

/** A value as a postgresql.conf string literal. */
export function confString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** A path inside restore_command, for `sh -c`: single-quoted. */
function shellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Appended to postgresql.auto.conf (later lines win). The restored cluster listens on its socket
 * only, never archives into the source's archive, and promotes itself once it reaches the target.
 * hot_standby is off: the cluster accepts connections only when recovery is over, and settings
 * such as max_connections need not match the source's.
 */
export function buildRecoverySettings(input: RecoverySettingsInput): string {
  const restore = `cp ${shellWord(`${input.archiveDir}/`)}"%f" "%p"`;
  return [
    '',
    '# written by "cutover db recover": archive recovery to a point in time',
    `port = ${input.port}`,
    "listen_addresses = ''",
    `unix_socket_directories = ${confString(input.socketDir)}`,
    'archive_mode = off',
    'hot_standby = off',
    `restore_command = ${confString(restore)}`,
    `recovery_target_time = ${confString(toPgTimestamp(input.targetTime))}`,
    "recovery_target_action = 'promote'",
    "recovery_target_timeline = 'latest'",
    '',
  ].join('\n');
}

/** What the restored cluster's log says about where recovery stopped. */
export interface RecoveryOutcome {
  /** "recovery stopping before commit of transaction 745, time 2026-12-02 10:40:01.123+00". */
  stopLine: string | null;
  /** The commit time recovery stopped at (the first transaction past the target, not applied). */
  stoppedAt: string | null;
  /** "last completed transaction was at log time ...": the newest transaction applied. */
  lastCompletedAt: string | null;
  archiveRecoveryComplete: boolean;
  /** The line that explains a failed recovery (FATAL/PANIC), if any. */
  fatal: string | null;
}

export function readRecoveryLog(log: string): RecoveryOutcome {
  const stop = /recovery stopping (?:before|after) (?:commit|abort) of transaction \d+, time (.+)$/m.exec(log);
  const last = /last completed transaction was at log time (.+)$/m.exec(log);
  const fatal = /^.*(?:FATAL|PANIC):\s+(.+)$/m.exec(log);
  return {
    stopLine: stop ? stop[0].replace(/^.*?recovery stopping/, 'recovery stopping') : null,
    stoppedAt: stop ? stop[1].trim() : null,
    lastCompletedAt: last ? last[1].trim() : null,
    archiveRecoveryComplete: /archive recovery complete/.test(log),
    fatal: fatal ? fatal[1].trim() : null,
  };
}

/**
 * The --to time as recovery_target_time reads it: a space instead of T and a numeric offset
 * instead of Z (the server checks the setting before it knows zone abbreviations, and refuses "Z").
 * The digits are kept as written, microseconds included.
 */
export function toPgTimestamp(text: string): string {
  return text
    .trim()
    .replace(/^(\d{4}-\d{2}-\d{2})[Tt]/, '$1 ')
    .replace(/[Zz]$/, '+00:00');
}

/** Parses the --to time: ISO 8601 with a zone (Z or ±hh:mm), so that it means one instant everywhere. */
export function parseTargetTime(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)$/i.test(text.trim())) return undefined;
  const date = new Date(text.trim().replace(' ', 'T'));
  return Number.isNaN(date.getTime()) ? undefined : date;
}
