import { existsSync, readFileSync } from 'node:fs';
import { type AgentPaths, agentPaths } from '../agent/agent-paths.ts';
import type { StopReport } from '../agent/instance-routing.ts';
import type { CountersSnapshot, DrainReport, LatencySample, RouteSpec, TargetState } from '../agent/proxy/proxy-server.ts';
import type { InstanceInfo, InstanceSpec, InstanceState } from '../agent/supervisor/process-supervisor.ts';
import { selectedEnvironment } from '../config/environment-selection.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import type { ErrorCode } from '../errors/registry.ts';
import { request } from '../shared/http-request.ts';

export interface AgentInstance extends InstanceInfo {
  inPool: boolean;
  joinedPoolMs: number | null;
}

export interface AgentState {
  agent: { pid: number; startedAt: number; dataDir: string };
  services: { route: RouteSpec; weights: Record<string, number> | null; targets: TargetState[] }[];
  instances: AgentInstance[];
}

/** How long one admin call may take before it fails with CUT_ERR_AGENT_TIMEOUT (default 30 s). */
export const DEFAULT_AGENT_CALL_TIMEOUT_MS = 30_000;
/** Calls that wait for a drain or a stop (unroute, stop) may take up to this long (default 15 min). */
export const AGENT_DRAIN_CALL_TIMEOUT_MS = 15 * 60_000;
/** A wait-healthy call may take its own timeout plus this margin. */
export const WAIT_HEALTHY_MARGIN_MS = 10_000;

export interface AgentClientOptions {
  /** Default DEFAULT_AGENT_CALL_TIMEOUT_MS. */
  callTimeoutMs?: number;
}

export type WaitHealthyOutcome = { healthy: true; ms: number } | { healthy: false; reason: string; state: InstanceState };

/** Talks to the agent's admin API over its unix socket (or loopback port) with the data directory's token. */
export class AgentClient {
  readonly paths: AgentPaths;
  readonly #callTimeoutMs: number;

  constructor(dataDir: string, options: AgentClientOptions = {}) {
    this.paths = agentPaths(dataDir);
    this.#callTimeoutMs = options.callTimeoutMs ?? DEFAULT_AGENT_CALL_TIMEOUT_MS;
  }

  health() {
    return this.call<{ ok: boolean; pid: number; startedAt: number }>('GET', '/v1/health');
  }

  /** True when an agent answers on this data directory. */
  async isRunning(): Promise<boolean> {
    try {
      await this.health();
      return true;
    } catch {
      return false;
    }
  }

  state(service?: string) {
    return this.call<AgentState>('GET', `/v1/state${service ? `?service=${encodeURIComponent(service)}` : ''}`);
  }

  setRoute(spec: RouteSpec) {
    const { service, ...rest } = spec;
    return this.call<{ route: RouteSpec }>('PUT', `/v1/routes/${encodeURIComponent(service)}`, rest);
  }

  setWeights(service: string, weights: Record<string, number> | null) {
    return this.call<{ weights: Record<string, number> | null }>('PUT', `/v1/routes/${encodeURIComponent(service)}/weights`, { weights });
  }

  counters(service: string) {
    return this.call<{ counters: Record<string, CountersSnapshot> }>('GET', `/v1/routes/${encodeURIComponent(service)}/counters`);
  }

  /** A release's cumulative counters and its recent samples finished at or after sinceMs (epoch ms). */
  samples(service: string, release: string, sinceMs = 0) {
    const query = `release=${encodeURIComponent(release)}&sinceMs=${Math.floor(sinceMs)}`;
    return this.call<{ release: string; counters: CountersSnapshot | null; samples: LatencySample[] }>(
      'GET',
      `/v1/routes/${encodeURIComponent(service)}/samples?${query}`,
    );
  }

  async startInstance(spec: InstanceSpec, route: boolean, rollout = false): Promise<InstanceInfo> {
    return (await this.call<{ instance: InstanceInfo }>('POST', '/v1/instances', { spec, route, ...(rollout ? { rollout } : {}) }))
      .instance;
  }

  async settle(id: string): Promise<void> {
    await this.call<{ instance: InstanceInfo }>('POST', `/v1/instances/${encodeURIComponent(id)}/settle`, {});
  }

  async instance(id: string): Promise<InstanceInfo> {
    return (await this.call<{ instance: InstanceInfo }>('GET', `/v1/instances/${encodeURIComponent(id)}`)).instance;
  }

  async waitHealthy(id: string, timeoutMs: number): Promise<WaitHealthyOutcome> {
    return (
      await this.call<{ outcome: WaitHealthyOutcome }>(
        'GET',
        `/v1/instances/${encodeURIComponent(id)}/wait-healthy?timeoutMs=${timeoutMs}`,
        undefined,
        timeoutMs + WAIT_HEALTHY_MARGIN_MS,
      )
    ).outcome;
  }

  async route(id: string): Promise<InstanceInfo> {
    return (await this.call<{ instance: InstanceInfo }>('POST', `/v1/instances/${encodeURIComponent(id)}/route`, {})).instance;
  }

  async unroute(id: string): Promise<DrainReport | null> {
    return (
      await this.call<{ drain: DrainReport | null }>(
        'POST',
        `/v1/instances/${encodeURIComponent(id)}/unroute`,
        {},
        AGENT_DRAIN_CALL_TIMEOUT_MS,
      )
    ).drain;
  }

  stopInstance(id: string, timeoutMs?: number) {
    return this.call<StopReport>(
      'POST',
      `/v1/instances/${encodeURIComponent(id)}/stop`,
      timeoutMs === undefined ? {} : { timeoutMs },
      AGENT_DRAIN_CALL_TIMEOUT_MS,
    );
  }

  shutdown(stopInstances: boolean) {
    return this.call<{ stopping: boolean }>('POST', '/v1/shutdown', { stopInstances });
  }

  private target(): { socketPath?: string; host?: string; port?: number } {
    if (existsSync(this.paths.pidFile)) {
      try {
        const { admin } = JSON.parse(readFileSync(this.paths.pidFile, 'utf8')) as { admin: string };
        if (admin.startsWith('http://')) {
          const url = new URL(admin);
          return { host: url.hostname, port: Number(url.port) };
        }
      } catch {
        // A torn pid file: fall back to the socket.
      }
    }
    return { socketPath: this.paths.socket };
  }

  private call<T>(method: string, path: string, body?: unknown, timeoutMs = this.#callTimeoutMs): Promise<T> {
    let token: string;
    try {
      token = readFileSync(this.paths.token, 'utf8').trim();
    } catch {
      return Promise.reject(notRunning(this.paths.dataDir));
    }
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          ...this.target(),
          method,
          path,
          headers: {
            authorization: `Bearer ${token}`,
            ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : {};
            } catch {
              reject(new CutoverError('CUT_ERR_AGENT_REQUEST', `agent answered ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`));
              return;
            }
            if ((res.statusCode ?? 500) >= 400) {
              const error = (parsed as { error?: { code?: string; message?: string; hint?: string; where?: string } }).error ?? {};
              const code = (error.code ?? 'CUT_ERR_AGENT_REQUEST') as ErrorCode;
              reject(new CutoverError(code, error.message ?? `agent answered ${res.statusCode}`, { hint: error.hint, where: error.where }));
              return;
            }
            resolve(parsed as T);
          });
        },
      );
      // The agent sends nothing until it answers, so an idle socket timeout bounds the whole call.
      req.setTimeout(timeoutMs, () => {
        req.destroy();
        reject(
          new CutoverError('CUT_ERR_AGENT_TIMEOUT', `the agent did not answer ${method} ${path} within ${timeoutMs} ms`, {
            where: this.paths.dataDir,
            hint: `the agent may be overloaded or stuck: read ${this.paths.agentLog}, check "cutover status", and retry`,
          }),
        );
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') reject(notRunning(this.paths.dataDir));
        else reject(new CutoverError('CUT_ERR_AGENT_REQUEST', `agent request ${method} ${path} failed: ${error.message}`));
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}

function notRunning(dataDir: string): CutoverError {
  // Each environment has its own agent: the hint names the one this command was run for.
  const environment = selectedEnvironment();
  return new CutoverError('CUT_ERR_AGENT_NOT_RUNNING', `no agent is running for ${dataDir}`, {
    where: dataDir,
    hint: `start it with "cutover up${environment ? ` --env ${environment.name}` : ''}", then try again`,
  });
}
