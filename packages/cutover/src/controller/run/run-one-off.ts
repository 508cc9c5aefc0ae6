import { hostname, userInfo } from 'node:os';
import { agentPaths } from '../../agent/agent-paths.ts';
import type { LoadedConfig } from '../../config/load-config.ts';
import { CutoverError } from '../../errors/cutover-error.ts';
import { DeploymentStore } from '../../store/deployment-store.ts';
import { servingRelease } from '../tasks/serving-release.ts';
import { runInRelease } from '../tasks/task-executor.ts';
import { SqliteTaskRunStore, type TaskRunRecord } from '../tasks/task-run-store.ts';

/** A `cutover run` command is killed with its process group past this unless --timeout says otherwise (24 h). */
export const DEFAULT_RUN_TIMEOUT_MS = 24 * 3_600_000;

export interface OneOffRun {
  loaded: LoadedConfig;
  /** argv: run as is (no shell), like `docker exec`. */
  command: readonly string[];
  /** Default: the release that serves. */
  release?: string;
  processType?: string;
  timeoutMs?: number;
  actor?: string;
  signal?: AbortSignal;
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
}

/**
 * `cutover run`: one command in a release's directory with its environment, recorded like a task
 * run (kind `run`). An unknown release, or none serving, is bad input (thrown before anything runs).
 */
export async function runOneOff(input: OneOffRun): Promise<TaskRunRecord> {
  const file = agentPaths(input.loaded.dataDir).deploymentsDb;
  const service = input.loaded.config.service;
  const deployments = new DeploymentStore(file);
  const runs = new SqliteTaskRunStore(file);
  try {
    const serving = servingRelease(deployments, service, { release: input.release, processType: input.processType });
    if (!serving) {
      const known = deployments.releases(service).map((r) => r.name);
      throw new CutoverError(
        'CUT_ERR_TASK_NO_RELEASE',
        input.release
          ? `release "${input.release}" of ${service} was never deployed here (or its directory is gone)`
          : `no release of ${service} serves yet`,
        {
          hint: input.release
            ? known.length
              ? `deployed releases: ${known.join(', ')}`
              : 'deploy it first: cutover deploy <release>'
            : 'deploy one first (cutover deploy <release>), or name one with --release',
          details: { known },
        },
      );
    }
    const timeoutMs = input.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    const id = runs.start({
      service,
      kind: 'run',
      task: null,
      trigger: 'one-off',
      attempt: 1,
      command: JSON.stringify(input.command),
      release: serving.release,
      scheduledFor: null,
      startedAt: Date.now(),
      actor: input.actor ?? `${process.env.CUTOVER_ACTOR ?? userInfo().username}@${hostname()}`,
    });
    const outcome = await runInRelease(input.command, serving, {
      timeoutMs,
      signal: input.signal ?? new AbortController().signal,
      onOutput: input.onOutput,
      env: { CUTOVER_SERVICE: service },
    });
    runs.finish(id, {
      state: outcome.ok ? 'succeeded' : outcome.aborted ? 'cancelled' : 'failed',
      endedAt: Date.now(),
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      timedOut: outcome.timedOut,
      outputTail: outcome.outputTail,
      reason: outcome.reason,
      release: outcome.release,
    });
    return runs.run(id)!;
  } finally {
    runs.close();
    deployments.close();
  }
}
