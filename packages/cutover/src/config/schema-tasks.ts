import { Cron } from 'croner';
import { z } from 'zod';
import { durationMs } from '../shared/duration.ts';

/** A task run is killed with its whole process group past this (1 h). */
export const DEFAULT_TASK_TIMEOUT_MS = 3_600_000;
/** Between a failed attempt and its retry (30 s). */
export const DEFAULT_TASK_RETRY_DELAY_MS = 30_000;
export const DEFAULT_TASK_OVERLAP = 'skip';
export const DEFAULT_TASK_CATCH_UP = 'none';

const TASK_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** A 5-field (minute) or 6-field (second) cron expression, or a croner nickname such as @daily. */
const schedule = z.string().superRefine((value, ctx) => {
  const fields = value.trim().split(/\s+/);
  if (!value.trim().startsWith('@') && fields.length !== 5 && fields.length !== 6) {
    ctx.addIssue({ code: 'custom', message: `must be a cron expression of 5 or 6 fields, e.g. "0 2 * * *" (got ${fields.length})` });
    return;
  }
  try {
    new Cron(value, { paused: true });
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `is not a valid cron expression: ${(error as Error).message}` });
  }
});

const timeZone = z.string().superRefine((value, ctx) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    ctx.addIssue({ code: 'custom', message: `is not an IANA time zone such as UTC or Europe/Paris (got "${value}")` });
  }
});

const argv = z.array(z.string().min(1, 'must not be empty')).min(1, 'needs at least the program');

const task = z
  .strictObject({
    schedule,
    /** IANA time zone the schedule is read in (default: the controller's local time). */
    timeZone: timeZone.optional(),
    /** A string run by `sh -c`, or an argv array run as is, in the serving release's directory. */
    command: z.union([z.string().min(1, 'must not be empty'), argv]).optional(),
    /** A built-in task instead of a command: `backup` takes a backup with the retention of `backup:`. */
    kind: z.enum(['command', 'backup']).optional(),
    /** With kind: backup: `dump` (pg_dump, the default) or `base` (pg_basebackup for point-in-time recovery; needs backup.pitr). */
    method: z.enum(['dump', 'base']).optional(),
    timeoutMs: durationMs().default(DEFAULT_TASK_TIMEOUT_MS),
    /** A start while the previous run is still going: skip it, queue it, or replace the running one. */
    overlap: z.enum(['skip', 'queue', 'replace']).default(DEFAULT_TASK_OVERLAP),
    /** Further attempts after a failed run (default 0). */
    retries: z.number().int().min(0).max(10).default(0),
    retryDelayMs: durationMs().default(DEFAULT_TASK_RETRY_DELAY_MS),
    /** `last`: a start missed while the controller was down runs once when it is back (default none). */
    catchUp: z.enum(['none', 'last']).default(DEFAULT_TASK_CATCH_UP),
    /** Whose environment the command gets (default: the routed process type). */
    processType: z.string().optional(),
  })
  .superRefine((value, ctx) => {
    const kind = value.kind ?? 'command';
    if (kind === 'command' && value.command === undefined) {
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'is required (or set kind: backup)' });
    }
    if (kind !== 'backup' && value.method !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['method'], message: 'is only for kind: backup' });
    }
    if (kind === 'backup' && value.command !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'must not be set with kind: backup (the backup is built in)' });
    }
  })
  .transform((value) => ({ ...value, kind: value.kind ?? ('command' as const) }));

const tasks = z.record(z.string(), task).superRefine((value, ctx) => {
  for (const name of Object.keys(value)) {
    if (!TASK_NAME.test(name))
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'a task name must be lowercase letters, digits and dashes, starting with a letter',
      });
  }
});

/** The `tasks:` section of cutover.yml, spread into the top-level schema. */
export const tasksSectionSchema = {
  tasks: tasks.default({}),
};

export type TaskConfig = z.output<typeof task>;
export type TasksConfig = z.output<typeof tasks>;

/** Checks that need the rest of cutover.yml: a backup task needs `backup:`, a processType must exist. */
export function refineTasks(
  config: { tasks: TasksConfig; processes: Record<string, unknown>; backup?: unknown },
  ctx: z.RefinementCtx,
): void {
  for (const [name, value] of Object.entries(config.tasks)) {
    if (value.kind === 'backup' && config.backup === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tasks', name, 'kind'],
        message: 'kind: backup needs a backup: section (where and how to back up)',
      });
    }
    const pitr = (config.backup as { pitr?: unknown } | undefined)?.pitr;
    if (value.kind === 'backup' && value.method === 'base' && config.backup !== undefined && pitr === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tasks', name, 'method'],
        message: 'method: base needs a backup.pitr section (the WAL archive the base backups go with)',
      });
    }
    if (value.processType !== undefined && !(value.processType in config.processes)) {
      ctx.addIssue({
        code: 'custom',
        path: ['tasks', name, 'processType'],
        message: `is not a process type of this service (known: ${Object.keys(config.processes).join(', ')})`,
      });
    }
  }
}
