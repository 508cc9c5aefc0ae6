import type { DatabaseSync } from 'node:sqlite';
import { isPidAlive } from '../../shared/process-group.ts';
import { openSqliteFile } from '../../shared/sqlite-file.ts';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS task_runs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     service TEXT NOT NULL,
     kind TEXT NOT NULL,
     task TEXT,
     trigger TEXT NOT NULL,
     attempt INTEGER NOT NULL DEFAULT 1,
     command TEXT NOT NULL,
     release TEXT,
     scheduled_for INTEGER,
     started_at INTEGER NOT NULL,
     ended_at INTEGER,
     state TEXT NOT NULL,
     exit_code INTEGER,
     signal TEXT,
     timed_out INTEGER NOT NULL DEFAULT 0,
     output_tail TEXT NOT NULL DEFAULT '',
     reason TEXT,
     runner_pid INTEGER NOT NULL,
     actor TEXT
   )`,
  'CREATE INDEX IF NOT EXISTS task_runs_by_task ON task_runs (service, task, id)',
];

/**
 * running → succeeded | failed | cancelled (replaced or stopped) | interrupted (its runner died);
 * skipped is recorded at once, for a start refused because the previous run was still going.
 */
export type TaskRunState = 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'interrupted';
/** What started a run: its cron schedule, a person (`cutover tasks run`), a catch-up after downtime, a retry, or `cutover run`. */
export type TaskRunTrigger = 'schedule' | 'manual' | 'catch-up' | 'retry' | 'one-off';

export interface TaskRunRecord {
  id: number;
  service: string;
  /** `task`: a task of cutover.yml; `run`: a one-off `cutover run` command. */
  kind: 'task' | 'run';
  task: string | null;
  trigger: TaskRunTrigger;
  attempt: number;
  /** What ran, for people: the command line or `backup`. */
  command: string;
  release: string | null;
  /** The cron time this run belongs to (null for manual and one-off runs). */
  scheduledFor: number | null;
  startedAt: number;
  endedAt: number | null;
  state: TaskRunState;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The last lines of its output. */
  outputTail: string;
  reason: string | null;
  actor: string | null;
}

export type NewTaskRun = Pick<
  TaskRunRecord,
  'service' | 'kind' | 'task' | 'trigger' | 'attempt' | 'command' | 'release' | 'scheduledFor'
> & {
  startedAt: number;
  actor?: string | null;
};
export type TaskRunEnd = Pick<TaskRunRecord, 'state' | 'exitCode' | 'signal' | 'timedOut' | 'outputTail' | 'reason' | 'release'> & {
  endedAt: number;
};

/** Where task and one-off runs are recorded. The controller's cutover.db implements it; tests may too. */
export interface TaskRunStore {
  start(run: NewTaskRun): number;
  finish(id: number, end: TaskRunEnd): void;
  /** Records a start that did not happen, with why. */
  skipped(run: NewTaskRun, reason: string): number;
  run(id: number): TaskRunRecord | undefined;
  /** Newest first. */
  history(service: string, options?: { task?: string; kind?: 'task' | 'run'; limit?: number }): TaskRunRecord[];
  /** The newest run of a task that was not skipped. */
  lastRun(service: string, task: string): TaskRunRecord | undefined;
  /** Marks runs left `running` by a runner process that is gone; returns their ids. */
  markInterrupted(service: string): number[];
}

/** The task runs of a service in a SQLite file (the controller's cutover.db). */
export class SqliteTaskRunStore implements TaskRunStore {
  readonly db: DatabaseSync;

  constructor(file: string) {
    this.db = openSqliteFile(file, SCHEMA);
  }

  start(run: NewTaskRun): number {
    return this.#insert(run, 'running', null);
  }

  skipped(run: NewTaskRun, reason: string): number {
    const id = this.#insert(run, 'skipped', reason);
    this.db.prepare('UPDATE task_runs SET ended_at = started_at WHERE id = ?').run(id);
    return id;
  }

  finish(id: number, end: TaskRunEnd): void {
    this.db
      .prepare(
        `UPDATE task_runs SET state = ?, ended_at = ?, exit_code = ?, signal = ?, timed_out = ?, output_tail = ?, reason = ?,
           release = COALESCE(?, release) WHERE id = ?`,
      )
      .run(end.state, end.endedAt, end.exitCode, end.signal, end.timedOut ? 1 : 0, end.outputTail, end.reason, end.release, id);
  }

  run(id: number): TaskRunRecord | undefined {
    const row = this.db.prepare('SELECT * FROM task_runs WHERE id = ?').get(id);
    return row ? toRecord(row) : undefined;
  }

  history(service: string, options: { task?: string; kind?: 'task' | 'run'; limit?: number } = {}): TaskRunRecord[] {
    const where = ['service = ?'];
    const params: (string | number)[] = [service];
    if (options.task !== undefined) {
      where.push('task = ?');
      params.push(options.task);
    }
    if (options.kind !== undefined) {
      where.push('kind = ?');
      params.push(options.kind);
    }
    params.push(options.limit ?? 50);
    return this.db
      .prepare(`SELECT * FROM task_runs WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`)
      .all(...params)
      .map(toRecord);
  }

  lastRun(service: string, task: string): TaskRunRecord | undefined {
    const row = this.db
      .prepare(`SELECT * FROM task_runs WHERE service = ? AND task = ? AND kind = 'task' AND state != 'skipped' ORDER BY id DESC LIMIT 1`)
      .get(service, task);
    return row ? toRecord(row) : undefined;
  }

  markInterrupted(service: string): number[] {
    const running = this.db.prepare(`SELECT id, runner_pid FROM task_runs WHERE service = ? AND state = 'running'`).all(service);
    const gone = running
      .filter((row) => row.runner_pid !== process.pid && !isPidAlive(row.runner_pid as number))
      .map((row) => row.id as number);
    for (const id of gone) {
      this.db
        .prepare(`UPDATE task_runs SET state = 'interrupted', ended_at = ?, reason = ? WHERE id = ?`)
        .run(Date.now(), 'the process running it stopped before the run ended', id);
    }
    return gone;
  }

  close(): void {
    this.db.close();
  }

  #insert(run: NewTaskRun, state: TaskRunState, reason: string | null): number {
    const result = this.db
      .prepare(
        `INSERT INTO task_runs (service, kind, task, trigger, attempt, command, release, scheduled_for, started_at, state, reason, runner_pid, actor)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        run.service,
        run.kind,
        run.task,
        run.trigger,
        run.attempt,
        run.command,
        run.release,
        run.scheduledFor,
        run.startedAt,
        state,
        reason,
        process.pid,
        run.actor ?? null,
      );
    return Number(result.lastInsertRowid);
  }
}

function toRecord(row: Record<string, unknown>): TaskRunRecord {
  return {
    id: row.id as number,
    service: row.service as string,
    kind: row.kind as 'task' | 'run',
    task: (row.task as string | null) ?? null,
    trigger: row.trigger as TaskRunTrigger,
    attempt: row.attempt as number,
    command: row.command as string,
    release: (row.release as string | null) ?? null,
    scheduledFor: (row.scheduled_for as number | null) ?? null,
    startedAt: row.started_at as number,
    endedAt: (row.ended_at as number | null) ?? null,
    state: row.state as TaskRunState,
    exitCode: (row.exit_code as number | null) ?? null,
    signal: (row.signal as string | null) ?? null,
    timedOut: row.timed_out === 1,
    outputTail: row.output_tail as string,
    reason: (row.reason as string | null) ?? null,
    actor: (row.actor as string | null) ?? null,
  };
}
