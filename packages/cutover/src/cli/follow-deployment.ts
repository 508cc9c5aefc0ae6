import { userInfo } from 'node:os';
import { configFlagsText } from '../config/config-flags.ts';
import type { LoadedConfig } from '../config/load-config.ts';
import { configSnapshot } from '../controller/config-snapshot.ts';
import { ControllerClient } from '../controller/controller-client.ts';
import { SILENT_OBSERVER } from '../controller/deployment-recorder.ts';
import type { SkipCheck } from '../controller/pipeline.ts';
import { AgentClient } from '../platform/agent-client.ts';
import type { DeploymentState } from '../store/deployment-store.ts';
import type { Output } from './output.ts';
import { progressObserver } from './progress-observer.ts';
import { reportOutcome } from './report-outcome.ts';

/** Exit codes of a follow that a signal ended (the deployment goes on in the controller). */
export const DETACHED_EXIT_CODES = { SIGINT: 130, SIGHUP: 129, SIGTERM: 143 } as const;

export interface SubmitOptions {
  release: string;
  kind: 'deploy' | 'rollback';
  skipChecks?: SkipCheck[];
  /** Return once accepted instead of following. */
  detach?: boolean;
  /** deploy --from ENV: where the release succeeded first (kept in the record). */
  promotedFrom?: { environment: string; deploymentId: number; endedAt: number | null };
}

/**
 * Submits a deployment to the controller beside the agent and, unless detached, follows it to its
 * end with live progress. Returns the exit code (0 succeeded; see reportOutcome).
 */
export async function submitAndFollow(out: Output, loaded: LoadedConfig, options: SubmitOptions): Promise<number> {
  await new AgentClient(loaded.dataDir).health();
  const controller = new ControllerClient(loaded.dataDir);
  await controller.waitUntilUp();
  const id = await controller.submit({
    ...configSnapshot(loaded),
    release: options.release,
    kind: options.kind,
    actor: process.env.CUTOVER_ACTOR ?? userInfo().username,
    skipChecks: options.skipChecks ?? [],
    ...(options.promotedFrom && { promotedFrom: options.promotedFrom }),
  });
  if (options.detach) {
    out.result({ deploymentId: id, state: 'running' });
    out.line(`deployment ${id} of ${options.release} accepted; it runs in the controller`);
    out.line(`  follow it: cutover watch ${id}${configFlagsText(loaded)}`);
    out.line(`  abort it:  cutover abort${configFlagsText(loaded)}`);
    return 0;
  }
  return followDeployment(out, loaded, id);
}

/**
 * Follows one deployment (from its first event) until it ends, through controller restarts.
 * Ctrl-C, SIGHUP or SIGTERM leave it running: the command says so, prints how to follow or abort
 * it, and exits 130, 129 or 143.
 */
export async function followDeployment(out: Output, loaded: LoadedConfig, id: number): Promise<number> {
  const controller = new ControllerClient(loaded.dataDir);
  const observer = out.json ? SILENT_OBSERVER : progressObserver(out);
  const detach = (signal: keyof typeof DETACHED_EXIT_CODES) => {
    process.stderr.write(
      `\ndeployment ${id} keeps running in the controller (${signal} only stopped this command)\n` +
        `  follow it again: cutover watch ${id}${configFlagsText(loaded)}\n  abort it:        cutover abort${configFlagsText(loaded)}\n`,
    );
    process.exit(DETACHED_EXIT_CODES[signal]);
  };
  const handlers = (Object.keys(DETACHED_EXIT_CODES) as (keyof typeof DETACHED_EXIT_CODES)[]).map((signal) => {
    const handler = () => detach(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  try {
    await controller.waitUntilUp(60_000);
    let afterEvent = 0;
    const open = new Map<number, number>();
    for (;;) {
      const state = await controller.follow(id, afterEvent, (line) => {
        if (line.kind === 'event') {
          afterEvent = line.id;
          observer.event(line.type, line.data);
        } else if (line.kind === 'step') {
          const { step } = line;
          if (step.outcome === 'running') {
            open.set(step.id, step.startedAt);
            observer.stepStarted(step.name);
          } else {
            open.delete(step.id);
            const outcome = step.outcome === 'interrupted' ? 'failed' : step.outcome;
            const reason =
              step.outcome === 'interrupted' ? `interrupted: ${step.reason ?? 'the controller stopped'}` : (step.reason ?? undefined);
            observer.stepEnded(
              step.name,
              { outcome, values: step.values, ...(reason ? { reason } : {}) },
              (step.endedAt ?? step.startedAt) - step.startedAt,
            );
          }
        }
      });
      if (state !== null) break;
      // The stream broke: the controller is restarting. Its successor resumes the deployment; follow on.
      if (!out.json) out.line(`    the controller went away; waiting for it to come back and resume deployment ${id}`);
      await controller.waitUntilUp(60_000);
    }
    const record = await controller.deployment(id);
    return await reportOutcome(
      out,
      { deploymentId: id, state: record.state as DeploymentState, reason: record.reason, record },
      loaded.dataDir,
    );
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}
