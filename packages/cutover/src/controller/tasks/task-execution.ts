import type { TaskConfig } from '../../config/schema-tasks.ts';

/** How one attempt of a task ended, as a value. */
export interface TaskExecution {
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Stopped from outside (replaced by a newer run, the controller stopping). */
  aborted: boolean;
  outputTail: string;
  /** The release it ran in (null when none serves). */
  release: string | null;
  /** Why it failed, in words; null on success. */
  reason: string | null;
}

export interface ExecuteOptions {
  signal: AbortSignal;
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
}

/** Runs one attempt of a task. The real one runs in the serving release (`createTaskExecutor`). */
export type TaskExecutor = (name: string, task: TaskConfig, options: ExecuteOptions) => Promise<TaskExecution>;

/** The command of a task as shown to people and recorded. */
export function describeTaskCommand(task: TaskConfig): string {
  if (task.kind === 'backup') return task.method === 'base' ? 'base backup' : 'backup';
  const command = task.command ?? '';
  return typeof command === 'string' ? command : JSON.stringify(command);
}
