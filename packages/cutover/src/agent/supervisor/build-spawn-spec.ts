import type { InstanceSpec } from './instance-spec.ts';

export interface SpawnSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/**
 * How one instance process is spawned. `exec` makes the shell replace itself with the app, so the
 * pid the supervisor watches and signals is the app's, not a shell's that would swallow SIGTERM.
 * `secretEnv` holds the values of the spec's secrets, read just before the spawn; they win over `env`.
 */
export function buildSpawnSpec(spec: InstanceSpec, port: number | null, secretEnv: Readonly<Record<string, string>> = {}): SpawnSpec {
  const env: Record<string, string> = { ...spec.env, ...secretEnv };
  if (spec.portEnv !== null && port !== null) env[spec.portEnv] = String(port);
  env.CUTOVER_SERVICE = spec.service;
  env.CUTOVER_RELEASE = spec.release;
  env.CUTOVER_PROCESS_TYPE = spec.processType;
  env.CUTOVER_INSTANCE_ID = spec.id;
  return { file: '/bin/sh', args: ['-c', `exec ${spec.command}`], cwd: spec.cwd, env };
}
