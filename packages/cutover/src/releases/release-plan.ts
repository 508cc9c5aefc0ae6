import { resolve } from 'node:path';
import type { SecretRef } from '../agent/supervisor/instance-spec.ts';
import type { InstanceSpec } from '../agent/supervisor/process-supervisor.ts';
import type { LoadedConfig } from '../config/load-config.ts';
import type { SecretSourceConfig } from '../config/schema-secrets.ts';

/** Variables passed from the deploying environment to every instance; everything else comes from cutover.yml. */
export const INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'NODE_EXTRA_CA_CERTS'] as const;

export interface ProcessPlan {
  processType: string;
  instances: number;
  /** Whether the proxy routes the service's traffic to this process type. */
  routed: boolean;
  /** Every field of an instance spec but its id. */
  template: Omit<InstanceSpec, 'id'>;
}

/** What one release runs: the resolved process specs, kept in the record so a rollback runs exactly this again. */
export interface ReleasePlan {
  service: string;
  release: string;
  dir: string;
  processes: ProcessPlan[];
}

/** Builds the instance specs of a release from the config: pure, so the record and tests can compare them exactly. */
export function buildReleasePlan(loaded: LoadedConfig, release: string, dir: string, baseEnv: NodeJS.ProcessEnv): ReleasePlan {
  const inherited: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = baseEnv[name];
    if (value !== undefined) inherited[name] = value;
  }
  const { config } = loaded;
  const processes = Object.entries(config.processes)
    .map(
      ([processType, p]): ProcessPlan => ({
        processType,
        instances: p.instances,
        routed: p.routed ?? processType === 'web',
        template: {
          service: config.service,
          release,
          processType,
          command: p.command,
          cwd: p.cwd ? resolve(dir, p.cwd) : dir,
          env: { ...inherited, ...loaded.env, ...p.env },
          secrets: buildSecretRefs(loaded.root, { ...config.secrets, ...p.secrets }),
          portEnv: p.portEnv,
          health: p.health,
          restart: p.restart,
          stopTimeoutMs: p.stopTimeoutMs,
        },
      }),
    )
    // The routed process type rolls first: user traffic moves before background workers do.
    .sort((a, b) => Number(b.routed) - Number(a.routed));
  return { service: config.service, release, dir, processes };
}

/** The references the agent reads secrets from: files made absolute, commands run from the config's directory. */
export function buildSecretRefs(root: string, secrets: Readonly<Record<string, SecretSourceConfig>>): Record<string, SecretRef> {
  return Object.fromEntries(
    Object.entries(secrets).map(([name, source]): [string, SecretRef] => [
      name,
      'file' in source ? { file: resolve(root, source.file) } : { command: source.command, cwd: root, timeoutMs: source.timeoutMs },
    ]),
  );
}

/** A readable, unique instance id: release, process type, deployment and a sequence number. */
export function buildInstanceId(release: string, processType: string, deploymentId: number, seq: number): string {
  return `${release.replace(/[^A-Za-z0-9._-]/g, '_')}.${processType}.d${deploymentId}.${seq}`;
}
