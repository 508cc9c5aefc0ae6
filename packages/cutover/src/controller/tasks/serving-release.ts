import { existsSync } from 'node:fs';
import type { SecretRef } from '../../agent/supervisor/instance-spec.ts';
import type { ReleasePlan } from '../../releases/release-plan.ts';
import type { DeploymentStore } from '../../store/deployment-store.ts';

/** Where and with what a task or one-off command runs. */
export interface ServingRelease {
  release: string;
  dir: string;
  /** The working directory of the chosen process type inside the release. */
  cwd: string;
  env: Record<string, string>;
  /** Secrets read (from their file or command) each time a command starts, as the agent does for instances. */
  secrets: Record<string, SecretRef>;
}

/**
 * The release that serves: the last one a deployment finished on (succeeded), never one a running
 * deployment is still switching to. Its directory and environment are those recorded when it was
 * deployed, for the given process type (default: the routed one). `release` picks another recorded one.
 */
export function servingRelease(
  store: DeploymentStore,
  service: string,
  options: { processType?: string; release?: string } = {},
): ServingRelease | null {
  const name = options.release ?? store.lastGoodRelease(service);
  if (!name) return null;
  const record = store.release(service, name);
  if (!record || !existsSync(record.dir)) return null;
  const plan = record.specs as ReleasePlan | undefined;
  const processes = plan?.processes ?? [];
  const chosen = processes.find((p) => p.processType === options.processType) ?? processes.find((p) => p.routed) ?? processes[0];
  return {
    release: name,
    dir: record.dir,
    cwd: chosen?.template.cwd && existsSync(chosen.template.cwd) ? chosen.template.cwd : record.dir,
    env: { ...(chosen?.template.env ?? {}) },
    secrets: { ...(chosen?.template.secrets ?? {}) },
  };
}
