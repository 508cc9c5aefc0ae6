import type { HealthCheckConfig } from '../../config/schema.ts';
import { isPidAlive } from '../../shared/process-group.ts';
import { commandProbe } from './command-probe.ts';
import type { ProbeResult } from './health-state-machine.ts';
import { httpProbe } from './http-probe.ts';
import { tcpProbe } from './tcp-probe.ts';

/** What a probe looks at: one spawned (or adopted) process of an instance. */
export interface ProbeTarget {
  port: number | null;
  pid: number;
  /** The app's env (with its port var); command checks run with it. */
  env: Record<string, string>;
  cwd: string;
  /** When this process was spawned or adopted (ms since epoch). */
  startedAtMs: number;
}

export type Probe = (signal: AbortSignal) => Promise<ProbeResult>;

/** Binds a health check to one process; each call of the result runs one probe bounded by timeoutMs. */
export function buildProbe(check: HealthCheckConfig, target: ProbeTarget, now: () => number = Date.now): Probe {
  const { timeoutMs } = check;
  switch (check.type) {
    case 'http':
      return withPort(target, (port, signal) => httpProbe({ port, path: check.path, expectStatus: check.expectStatus, timeoutMs, signal }));
    case 'tcp':
      return withPort(target, (port, signal) => tcpProbe({ port, timeoutMs, signal }));
    case 'command':
      return (signal) => commandProbe({ command: check.command, cwd: target.cwd, env: target.env, timeoutMs, signal });
    case 'process':
      return async () => {
        if (!isPidAlive(target.pid)) return { ok: false, detail: `process ${target.pid} is not running` };
        const upMs = now() - target.startedAtMs;
        return upMs >= check.upForMs
          ? { ok: true, detail: `process up for ${upMs} ms` }
          : { ok: false, detail: `process up for ${upMs} ms of ${check.upForMs} ms` };
      };
  }
}

function withPort(target: ProbeTarget, run: (port: number, signal: AbortSignal) => Promise<ProbeResult>): Probe {
  const { port } = target;
  if (port === null) return async () => ({ ok: false, detail: 'this check needs a port but the process has none (portEnv is null)' });
  return (signal) => run(port, signal);
}
