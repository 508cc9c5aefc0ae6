import type { HealthCheckConfig, RestartPolicyConfig } from '../../config/schema.ts';

/** Everything the supervisor needs to run one instance of one process type of one release. */
export interface InstanceSpec {
  id: string;
  service: string;
  release: string;
  processType: string;
  /**
   * A shell command line, run as `/bin/sh -c "exec <command>"` so the pid is the app itself.
   * A compound line (`a && b`) would exec only its first part: put those in a script.
   */
  command: string;
  /** Absolute working directory. */
  cwd: string;
  /** The full env for the app; the supervisor adds the port var and the CUTOVER_* facts. */
  env: Record<string, string>;
  /**
   * Env vars the supervisor reads each time it spawns the instance: the references only (a file,
   * a command), so that no value is ever kept on disk. Wins over `env`. Absent in older specs.
   */
  secrets?: Record<string, SecretRef>;
  /** Env var that receives the private port; null = the process listens on nothing. */
  portEnv: string | null;
  /** undefined → tcp on the port when there is one, else `process` (stays up upForMs). */
  health: HealthCheckConfig | undefined;
  restart: RestartPolicyConfig;
  stopTimeoutMs: number;
}

/** Where the supervisor reads one secret: an absolute file path, or a shell command with its directory. */
export type SecretRef = { file: string } | { command: string; cwd: string; timeoutMs: number };

export type InstanceState = 'starting' | 'healthy' | 'unhealthy' | 'restarting' | 'stopping' | 'stopped' | 'failed';

export interface InstanceExit {
  code: number | null;
  signal: string | null;
  atMs: number;
}

export interface InstanceInfo {
  spec: InstanceSpec;
  port: number | null;
  /** The running process (null while restarting, stopped or failed). */
  pid: number | null;
  state: InstanceState;
  /** Respawns after unexpected exits since start() or adopt(). */
  restarts: number;
  /** When the current process was spawned or adopted (ms since epoch). */
  startedAt: number;
  /** When the current process first turned healthy (ms since epoch). */
  healthyAt: number | null;
  lastExit: InstanceExit | null;
  /** Why the instance failed, in words a user can act on. */
  failure: string | null;
  logFile: string;
}
