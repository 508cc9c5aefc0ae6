import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, unlinkSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { CutoverError } from '../errors/cutover-error.ts';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../shared/private-files.ts';
import { writeFileAtomic } from '../shared/write-file-atomic.ts';
import { type AdminApi, createAdminApi } from './admin-api.ts';
import { type AgentPaths, agentPaths } from './agent-paths.ts';
import { AgentStateStore } from './agent-state-store.ts';
import { ControllerSupervisor } from './controller-supervisor.ts';
import type { DataPlane, DataPlaneKind } from './data-plane.ts';
import { requireHaproxy } from './haproxy/haproxy-binary.ts';
import { HaproxyDataPlane } from './haproxy/haproxy-data-plane.ts';
import { InstanceRouting } from './instance-routing.ts';
import { MetricsServer } from './metrics-server.ts';
import { ProxyServer } from './proxy/proxy-server.ts';
import { identifyProcess, isSameProcess } from './supervisor/process-identity.ts';
import { ProcessSupervisor } from './supervisor/process-supervisor.ts';

export interface AgentOptions {
  dataDir: string;
  httpPort: number;
  httpsPort?: number;
  tls?: { certFile: string; keyFile: string };
  /** Serve the admin API on 127.0.0.1:adminPort instead of the unix socket. */
  adminPort?: number;
  portRange: [number, number];
  logMaxBytes: number;
  logKeepFiles: number;
  /** Logs of finished instances kept per service (default DEFAULT_KEEP_INSTANCE_LOGS). */
  keepInstanceLogs?: number;
  /** Address the proxy listens on (default all interfaces). */
  listenHost?: string;
  /** Serve the proxy's counters for Prometheus on 127.0.0.1:metricsPort/metrics (none by default; 0 picks a port). */
  metricsPort?: number;
  /**
   * The command that runs the controller beside the agent (supervised: restarted with backoff,
   * stopped with the agent). None: no controller (an agent embedded in a test or a tool).
   */
  controllerCommand?: readonly string[];
  /** What forwards the traffic (default the built-in Node proxy); `haproxy` needs the haproxy binary (checked before anything starts). */
  dataPlane?: DataPlaneKind;
  /** The haproxy binary (default /usr/sbin/haproxy, then PATH). */
  haproxyBinary?: string;
}

export interface AgentAddress {
  httpPort: number;
  httpsPort?: number;
  /** Unix socket path, or loopback URL when adminPort is set. */
  admin: string;
  /** The loopback port of GET /metrics, when enabled. */
  metricsPort?: number;
}

/**
 * The data plane: one long-running process per host that owns the proxy listeners, the application
 * processes and their health checks. Its routing state lives in SQLite so that a restarted agent
 * routes exactly as before; instances that survived the restart are adopted, others are restarted.
 */
export class Agent {
  readonly paths: AgentPaths;
  readonly proxy: DataPlane;
  readonly supervisor: ProcessSupervisor;
  readonly store: AgentStateStore;
  readonly routing: InstanceRouting;
  private admin: AdminApi | undefined;
  private metrics: MetricsServer | undefined;
  private controller: ControllerSupervisor | undefined;
  private readonly startedAt = Date.now();

  private readonly options: AgentOptions;

  constructor(options: AgentOptions) {
    this.options = options;
    this.paths = agentPaths(options.dataDir);
    // Checked first: a missing or too old haproxy starts nothing.
    const haproxy = options.dataPlane === 'haproxy' ? requireHaproxy(options.haproxyBinary) : null;
    ensurePrivateDir(this.paths.dataDir);
    this.refuseSecondAgent();
    this.store = new AgentStateStore(this.paths.stateDb);
    this.proxy =
      haproxy === null
        ? new ProxyServer({ httpPort: options.httpPort, httpsPort: options.httpsPort, tls: options.tls, listenHost: options.listenHost })
        : new HaproxyDataPlane({
            binary: haproxy.path,
            dir: this.paths.haproxyDir,
            httpPort: options.httpPort,
            listenHost: options.listenHost,
          });
    this.supervisor = new ProcessSupervisor({
      logDir: this.paths.logDir,
      portRange: options.portRange,
      logMaxBytes: options.logMaxBytes,
      logKeepFiles: options.logKeepFiles,
      keepInstanceLogs: options.keepInstanceLogs,
    });
    this.routing = new InstanceRouting(this.supervisor, this.proxy, this.store);
  }

  async start(): Promise<AgentAddress> {
    const ports = await this.proxy.listen();
    await this.routing.restore();
    const token = this.ensureToken();
    this.admin = createAdminApi({ agent: this, token });
    let admin: string;
    if (this.options.adminPort !== undefined) {
      await this.admin.listen({ host: '127.0.0.1', port: this.options.adminPort });
      admin = `http://127.0.0.1:${(this.admin.server.address() as AddressInfo).port}`;
    } else {
      if (existsSync(this.paths.socket)) unlinkSync(this.paths.socket);
      await this.admin.listen({ path: this.paths.socket });
      chmodSync(this.paths.socket, PRIVATE_FILE_MODE);
      admin = this.paths.socket;
    }
    let metricsPort: number | undefined;
    if (this.options.metricsPort !== undefined) {
      this.metrics = new MetricsServer(this.proxy, {
        instances: () => this.routing.live(),
        ...(this.options.controllerCommand ? { controller: { socket: this.paths.controllerSocket, token } } : {}),
      });
      metricsPort = await this.metrics.listen(this.options.metricsPort);
    }
    const identity = identifyProcess(process.pid);
    writeFileAtomic(
      this.paths.pidFile,
      JSON.stringify({ pid: process.pid, startTicks: identity.startTicks, admin, ...ports, metricsPort, startedAt: this.startedAt }),
    );
    if (this.options.controllerCommand) {
      this.controller = new ControllerSupervisor({ command: this.options.controllerCommand, logFile: this.paths.controllerLog });
      this.controller.start();
    }
    return { ...ports, admin, metricsPort };
  }

  /** Set by the process that runs the agent: how to stop it when a client asks (POST /v1/shutdown). */
  onShutdownRequest: ((stopInstances: boolean) => void) | undefined;

  emitShutdown(stopInstances: boolean): void {
    if (this.onShutdownRequest) this.onShutdownRequest(stopInstances);
    else void this.stop({ stopInstances });
  }

  status() {
    return {
      pid: process.pid,
      startedAt: this.startedAt,
      dataDir: this.paths.dataDir,
      dataPlane: this.proxy.kind,
      controller: this.controller?.status() ?? null,
    };
  }

  /** Stops serving. With stopInstances the apps are stopped too (cutover down); without, they keep running for the next agent to adopt. */
  async stop(options: { stopInstances: boolean }): Promise<void> {
    await this.controller?.stop();
    if (options.stopInstances) await this.routing.stopAll();
    await this.supervisor.shutdown({ stopInstances: options.stopInstances });
    await this.admin?.close();
    await this.metrics?.close();
    await this.proxy.close();
    this.store.close();
    for (const file of [this.paths.pidFile, this.paths.socket]) if (existsSync(file)) unlinkSync(file);
  }

  private ensureToken(): string {
    if (existsSync(this.paths.token)) return readFileSync(this.paths.token, 'utf8').trim();
    const token = randomBytes(24).toString('base64url');
    writeFileAtomic(this.paths.token, token);
    return token;
  }

  private refuseSecondAgent(): void {
    if (!existsSync(this.paths.pidFile)) return;
    try {
      const { pid, startTicks } = JSON.parse(readFileSync(this.paths.pidFile, 'utf8')) as { pid: number; startTicks?: number | null };
      // The pid of an agent that died may since belong to another process: only the same pid with the same start time is that agent.
      if (pid !== process.pid && isSameProcess({ pid, startTicks: startTicks ?? null })) {
        throw new CutoverError('CUT_ERR_AGENT_ALREADY_RUNNING', `an agent (pid ${pid}) already runs for ${this.paths.dataDir}`, {
          where: this.paths.pidFile,
          hint: 'use the running agent, or stop it with "cutover down" first',
        });
      }
    } catch (error) {
      if (error instanceof CutoverError) throw error;
    }
  }
}
