import type { ChildProcess } from 'node:child_process';
import { isPidAlive } from '../../shared/process-group.ts';

export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

/** A process being watched for its exit, whether our child or adopted. */
export interface WatchedProcess {
  readonly pid: number;
  /** Whether the exit status comes from the kernel (our child) or only from polling (adopted). */
  readonly ownChild: boolean;
  /** Stop watching and let the process live on; the agent may exit without waiting for it. */
  detach(): void;
}

/** Reports our child's exit with its real code and signal. */
export function watchChild(child: ChildProcess, onExit: (exit: ProcessExit) => void): WatchedProcess {
  let attached = true;
  child.once('exit', (code, signal) => {
    if (attached) onExit({ code, signal });
  });
  return {
    pid: child.pid ?? -1,
    ownChild: true,
    detach() {
      attached = false;
      child.unref();
    },
  };
}

/**
 * Reports the death of a process that is not our child (adopted after an agent restart) by
 * polling, since the kernel only tells the parent. Its exit code cannot be known.
 */
export function watchPid(pid: number, pollIntervalMs: number, onExit: (exit: ProcessExit) => void): WatchedProcess {
  const timer = setInterval(() => {
    if (isPidAlive(pid)) return;
    clearInterval(timer);
    onExit({ code: null, signal: null });
  }, pollIntervalMs);
  return {
    pid,
    ownChild: false,
    detach() {
      clearInterval(timer);
    },
  };
}
