import type { TaskConfig, TasksConfig } from '../../config/schema-tasks.ts';
import { CutoverError } from '../../errors/cutover-error.ts';
import { type CronSchedule, cronSchedule } from './cron-schedule.ts';
import { systemTaskClock, type TaskClock } from './task-clock.ts';
import { describeTaskCommand, type TaskExecution, type TaskExecutor } from './task-execution.ts';
import type { NewTaskRun, TaskRunRecord, TaskRunStore, TaskRunTrigger } from './task-run-store.ts';

/** `task:noun` events the scheduler emits; the notifier sends `task:failed` (once per run, after its retries). */
export type TaskEventType = 'task:started' | 'task:succeeded' | 'task:failed' | 'task:skipped' | 'task:cancelled';
export interface TaskEvent {
  type: TaskEventType;
  task: string;
  run: TaskRunRecord;
}

export interface TaskSummary {
  name: string;
  schedule: string;
  timeZone: string | null;
  kind: TaskConfig['kind'];
  command: string;
  overlap: TaskConfig['overlap'];
  /** Id of the run going on now. */
  runningId: number | null;
  lastRun: TaskRunRecord | null;
  nextRunAt: number | null;
}

export interface TaskSchedulerOptions {
  service: string;
  tasks: TasksConfig;
  store: TaskRunStore;
  execute: TaskExecutor;
  clock?: TaskClock;
  onEvent?: (event: TaskEvent) => void;
}

export interface RunNowOptions {
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
  actor?: string;
}

interface Start {
  trigger: TaskRunTrigger;
  scheduledFor: number | null;
  run: RunNowOptions;
}

interface Slot {
  name: string;
  task: TaskConfig;
  schedule: CronSchedule;
  timer: { cancel(): void } | null;
  nextAt: number | null;
  current: { runId: number | null; abort: AbortController; done: Promise<TaskRunRecord> } | null;
  queue: { start: Start; resolve: (record: TaskRunRecord) => void }[];
}

/** Queued starts beyond this many are skipped (recorded), so a task slower than its schedule cannot pile up for ever. */
export const MAX_QUEUED_STARTS = 10;

/**
 * Runs the tasks of one service on their cron schedules. Per task:
 *   idle → running            a start (schedule, catch-up, `cutover tasks run`)
 *   running → running         overlap: replace aborts the current run, then starts the new one
 *   running → running+queued  overlap: queue (started when the current run ends)
 *   running → running         overlap: skip records the start as skipped
 *   running → idle            the run ended (succeeded, failed after its retries, cancelled)
 * Every start, skipped ones included, is a row in the store. Cron times come from the injected
 * clock; the processes themselves run in real time (their timeouts are real).
 */
export class TaskScheduler {
  readonly #options: TaskSchedulerOptions;
  readonly #clock: TaskClock;
  readonly #slots = new Map<string, Slot>();
  #started = false;

  constructor(options: TaskSchedulerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemTaskClock;
    for (const [name, task] of Object.entries(options.tasks)) {
      this.#slots.set(name, {
        name,
        task,
        schedule: cronSchedule(task.schedule, task.timeZone),
        timer: null,
        nextAt: null,
        current: null,
        queue: [],
      });
    }
  }

  /** Arms every schedule; marks runs of a dead runner interrupted; catches up missed starts of `catchUp: last` tasks. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const { store, service } = this.#options;
    store.markInterrupted(service);
    const now = this.#clock.now();
    for (const slot of this.#slots.values()) {
      if (slot.task.catchUp === 'last') {
        const last = store.lastRun(service, slot.name);
        const due = slot.schedule.lastAtOrBefore(now);
        const lastAt = last ? (last.scheduledFor ?? last.startedAt) : null;
        if (due !== null && lastAt !== null && lastAt < due) void this.#trigger(slot, { trigger: 'catch-up', scheduledFor: due, run: {} });
      }
      this.#arm(slot, now);
    }
  }

  /** Disarms the schedules and stops running tasks (their whole process groups); resolves once they ended. */
  async stop(): Promise<void> {
    this.#started = false;
    const running: Promise<TaskRunRecord>[] = [];
    for (const slot of this.#slots.values()) {
      slot.timer?.cancel();
      slot.timer = null;
      slot.nextAt = null;
      for (const queued of slot.queue.splice(0))
        queued.resolve(this.#skip(slot, queued.start, 'the scheduler stopped before this queued start'));
      if (slot.current) {
        slot.current.abort.abort();
        running.push(slot.current.done);
      }
    }
    await Promise.all(running);
  }

  /** Starts a task now (`cutover tasks run`), under its overlap rule; resolves with the finished (or skipped) run. */
  async runNow(name: string, options: RunNowOptions = {}): Promise<TaskRunRecord> {
    return this.#trigger(this.#slot(name), { trigger: 'manual', scheduledFor: null, run: options });
  }

  list(): TaskSummary[] {
    const now = this.#clock.now();
    return [...this.#slots.values()].map((slot) => ({
      ...summarizeTask(slot.name, slot.task, this.#options.store.lastRun(this.#options.service, slot.name) ?? null, now),
      runningId: slot.current?.runId ?? null,
      nextRunAt: this.#started ? slot.nextAt : slot.schedule.nextAfter(now),
    }));
  }

  history(name?: string, limit?: number): TaskRunRecord[] {
    if (name !== undefined) this.#slot(name);
    return this.#options.store.history(this.#options.service, { task: name, kind: 'task', limit });
  }

  #slot(name: string): Slot {
    const slot = this.#slots.get(name);
    if (!slot) {
      throw new CutoverError('CUT_ERR_TASK_UNKNOWN', `no task "${name}" in cutover.yml`, {
        hint: this.#slots.size ? `known tasks: ${[...this.#slots.keys()].join(', ')}` : 'declare it under tasks: in cutover.yml',
        details: { known: [...this.#slots.keys()] },
      });
    }
    return slot;
  }

  #arm(slot: Slot, afterMs: number): void {
    if (!this.#started) return;
    const next = slot.schedule.nextAfter(afterMs);
    slot.nextAt = next;
    if (next === null) return;
    slot.timer = this.#clock.setTimer(() => {
      slot.timer = null;
      void this.#trigger(slot, { trigger: 'schedule', scheduledFor: next, run: {} });
      this.#arm(slot, next);
    }, next - this.#clock.now());
  }

  async #trigger(slot: Slot, start: Start): Promise<TaskRunRecord> {
    if (slot.current) {
      const current = slot.current;
      if (slot.task.overlap === 'skip') {
        return this.#skip(slot, start, `the previous run${current.runId ? ` (${current.runId})` : ''} was still running (overlap: skip)`);
      }
      if (slot.task.overlap === 'queue') {
        if (slot.queue.length >= MAX_QUEUED_STARTS)
          return this.#skip(slot, start, `${MAX_QUEUED_STARTS} starts were already queued (overlap: queue)`);
        return new Promise((resolve) => slot.queue.push({ start, resolve }));
      }
      current.abort.abort();
      await current.done;
      // Another start may have taken the slot while the replaced run was stopping.
      if (slot.current) return this.#trigger(slot, start);
    }
    const abort = new AbortController();
    const current: NonNullable<Slot['current']> = { runId: null, abort, done: Promise.resolve(undefined as never) };
    slot.current = current;
    current.done = this.#runAttempts(slot, start, current);
    const record = await current.done;
    slot.current = null;
    const next = slot.queue.shift();
    if (next) void this.#trigger(slot, next.start).then(next.resolve);
    return record;
  }

  async #runAttempts(slot: Slot, start: Start, current: NonNullable<Slot['current']>): Promise<TaskRunRecord> {
    const { store, execute } = this.#options;
    let record: TaskRunRecord | undefined;
    for (let attempt = 1; ; attempt++) {
      const runId = store.start(this.#newRun(slot, { ...start, trigger: attempt > 1 ? 'retry' : start.trigger }, attempt));
      current.runId = runId;
      this.#emit('task:started', slot, store.run(runId)!);
      const outcome = await execute(slot.name, slot.task, { signal: current.abort.signal, onOutput: start.run.onOutput }).catch(
        (error: unknown): TaskExecution => ({
          ok: false,
          exitCode: null,
          signal: null,
          timedOut: false,
          aborted: false,
          outputTail: '',
          release: null,
          reason: `the task could not run: ${(error as Error).message}`,
        }),
      );
      store.finish(runId, {
        state: outcome.ok ? 'succeeded' : outcome.aborted ? 'cancelled' : 'failed',
        endedAt: this.#clock.now(),
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        timedOut: outcome.timedOut,
        outputTail: outcome.outputTail,
        reason: outcome.reason,
        release: outcome.release,
      });
      record = store.run(runId)!;
      if (record.state !== 'failed' || attempt > slot.task.retries || current.abort.signal.aborted) break;
      await this.#delay(slot.task.retryDelayMs, current.abort.signal);
      if (current.abort.signal.aborted) break;
    }
    const final = record!;
    this.#emit(
      final.state === 'succeeded' ? 'task:succeeded' : final.state === 'cancelled' ? 'task:cancelled' : 'task:failed',
      slot,
      final,
    );
    return final;
  }

  #skip(slot: Slot, start: Start, reason: string): TaskRunRecord {
    const { store } = this.#options;
    const record = store.run(store.skipped(this.#newRun(slot, start, 1), reason))!;
    this.#emit('task:skipped', slot, record);
    return record;
  }

  #newRun(slot: Slot, start: Start, attempt: number): NewTaskRun {
    return {
      service: this.#options.service,
      kind: 'task',
      task: slot.name,
      trigger: start.trigger,
      attempt,
      command: describeTaskCommand(slot.task),
      release: null,
      scheduledFor: start.scheduledFor,
      startedAt: this.#clock.now(),
      actor: start.run.actor ?? null,
    };
  }

  #delay(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#clock.setTimer(resolve, ms);
      signal.addEventListener(
        'abort',
        () => {
          timer.cancel();
          resolve();
        },
        { once: true },
      );
    });
  }

  #emit(type: TaskEventType, slot: Slot, run: TaskRunRecord): void {
    try {
      this.#options.onEvent?.({ type, task: slot.name, run });
    } catch {
      // a listener's failure never stops a task
    }
  }
}

/** A task's line in `cutover tasks`, from its config and its last recorded run (no scheduler needed). */
export function summarizeTask(name: string, task: TaskConfig, lastRun: TaskRunRecord | null, nowMs: number): TaskSummary {
  return {
    name,
    schedule: task.schedule,
    timeZone: task.timeZone ?? null,
    kind: task.kind,
    command: describeTaskCommand(task),
    overlap: task.overlap,
    runningId: null,
    lastRun,
    nextRunAt: cronSchedule(task.schedule, task.timeZone).nextAfter(nowMs),
  };
}
