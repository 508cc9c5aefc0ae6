import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect, Sandbox } from '../../test/e2e/support/sandbox.ts';
import type { AppShape, Contender, DeployNote } from './contender.ts';
import { runsFrom, sleep, stopProcess } from './processes.ts';

/** How long the CLI may take to exit once it has printed its result. */
const EXIT_GRACE_MS = 5000;

interface RolloutBatch {
  started: string[];
  joinedPoolMs: (number | null)[];
  durationMs: number;
}

/** cutover with its defaults: `cutover up`, then `cutover deploy <release>` (rolling, batch size 1) through its proxy. */
export class CutoverContender implements Contender {
  readonly name = 'cutover';
  readonly box: Sandbox;
  private readonly app: AppShape;
  private readonly deploymentIds: number[] = [];

  /** `extraConfig`: more top-level cutover.yml lines (e.g. a `proxy:` section); none for the deploy bench. */
  private readonly extraConfig: string;

  constructor(app: AppShape, extraConfig = '') {
    this.app = app;
    this.extraConfig = extraConfig;
    this.box = new Sandbox('cutover-bench-');
  }

  /** The agent's pid (the process that proxies), from its pid file. */
  agentPid(): number | undefined {
    const file = join(this.box.dir, '.cutover', 'agent.pid');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid : undefined;
  }

  frontPid(): number | undefined {
    return this.agentPid();
  }

  get url(): string {
    return `${this.box.url}/`;
  }

  async start(release: string): Promise<void> {
    for (const name of this.app.releases) this.box.release(name, { bootDelayMs: this.app.bootDelayMs });
    // Only what the app needs is set: every rollout, health and proxy setting keeps its default.
    await this.box.writeConfig(
      (port) => `service: bench
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: ${JSON.stringify(`${process.execPath} server.js`)}
    instances: ${this.app.instances}
    health: { type: http, path: /up }
agent: { httpPort: ${port} }
${this.extraConfig}`,
    );
    const up = await this.box.cli(['up', '--release', release]);
    if (up.code !== 0) throw new Error(`cutover up failed (exit ${up.code}):\n${up.stdout}\n${up.stderr}`);
  }

  /**
   * The deploy ends when the CLI prints its JSON result. Should the CLI not exit within
   * EXIT_GRACE_MS after that, it is killed and the round is flagged: a user would see it hang.
   */
  async deploy(release: string): Promise<DeployNote> {
    const child = this.box.spawnCli(['deploy', release, '--json']);
    let resultAt: number | undefined;
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (resultAt === undefined && parseRecord(stdout)) resultAt = performance.now();
    });
    let exited = false;
    const exit = collect(child, 120_000).finally(() => {
      exited = true;
    });
    while (!exited && resultAt === undefined) await sleep(10);
    const graceEnd = performance.now() + EXIT_GRACE_MS;
    while (!exited && performance.now() < graceEnd) await sleep(10);
    const hung = !exited;
    if (hung) child.kill('SIGKILL');
    const result = await exit;
    const record = parseRecord(stdout);
    if (record?.id) this.deploymentIds.push(record.id);
    if (record?.state !== 'succeeded' || (!hung && result.code !== 0))
      throw new Error(`cutover deploy ${release} exited ${result.code}: ${record?.reason ?? result.stderr}`);
    return {
      endedAt: resultAt,
      warning: hung ? `the CLI printed its result but had not exited ${EXIT_GRACE_MS} ms later: killed` : undefined,
    };
  }

  /** Each deployment's record as `cutover history <id> --json` shows it: run time and rollout batches. */
  async details(): Promise<Record<string, unknown>> {
    const deployments = [];
    for (const id of this.deploymentIds) {
      const history = await this.box.cli(['history', String(id), '--json'], { timeoutMs: 30_000 });
      const record = parseRecord(history.stdout);
      if (!record) throw new Error(`cutover history ${id} gave no record: ${history.stderr}`);
      const rollout = record.steps.find((s) => s.name === 'rollout');
      deployments.push({
        id,
        state: record.state,
        reason: record.reason,
        // The whole story of a deployment that did not succeed, for whoever investigates it.
        events: record.state === 'succeeded' ? undefined : record.events,
        recordedMs: record.endedAt - record.startedAt,
        batches: ((rollout?.values.batches as RolloutBatch[] | undefined) ?? []).map((b) => ({
          started: b.started,
          joinedPoolMs: b.joinedPoolMs,
          durationMs: b.durationMs,
        })),
      });
    }
    const status = await this.box.cli(['status', '--json'], { timeoutMs: 30_000 });
    const counters: Record<string, { requests: number; proxyErrors: number }> = {};
    if (status.code === 0)
      for (const [release, c] of Object.entries(JSON.parse(status.stdout).counters as typeof counters))
        counters[release] = { requests: c.requests, proxyErrors: c.proxyErrors };
    const agentLog = join(this.box.dir, '.cutover', 'agent.log');
    const agentLogTail = existsSync(agentLog) ? readFileSync(agentLog, 'utf8').split('\n').slice(-100) : [];
    return { deployments, counters, agentLogTail };
  }

  /** The private ports of the running instances, from `cutover status --json`. */
  async instancePorts(): Promise<number[]> {
    const status = await this.box.cli(['status', '--json'], { timeoutMs: 10_000 });
    if (status.code !== 0) throw new Error(`cutover status exited ${status.code}: ${status.stderr}`);
    return (JSON.parse(status.stdout).instances as { port: number | null }[]).map((i) => i.port).filter((p): p is number => p !== null);
  }

  /** The pids of the app's instances (what `cutover status` shows), for their CPU time. */
  async instancePids(): Promise<number[]> {
    const status = await this.box.cli(['status', '--json'], { timeoutMs: 10_000 });
    if (status.code !== 0) throw new Error(`cutover status exited ${status.code}: ${status.stderr}`);
    return (JSON.parse(status.stdout).instances as { pid: number | null }[]).map((i) => i.pid).filter((p): p is number => p !== null);
  }

  async stop(): Promise<void> {
    // Should `down` fail or hang, the agent and its instances are stopped by pid (if still ours).
    const pids = await this.runningPids();
    const dir = this.box.dir;
    await this.box.cleanup();
    for (const pid of pids) if (runsFrom(pid, dir)) await stopProcess(pid, 'SIGKILL', 1000);
  }

  private async runningPids(): Promise<number[]> {
    const pids: number[] = [];
    const pidFile = join(this.box.dir, '.cutover', 'agent.pid');
    try {
      if (existsSync(pidFile)) pids.push((JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number }).pid);
    } catch {}
    const status = await this.box.cli(['status', '--json'], { timeoutMs: 10_000 }).catch(() => null);
    try {
      for (const instance of JSON.parse(status?.stdout ?? '').instances as { pid: number | null }[])
        if (instance.pid) pids.push(instance.pid);
    } catch {}
    return pids.filter((pid) => Number.isInteger(pid) && pid > 0);
  }
}

interface DeploymentRecord {
  id: number;
  state: string;
  reason: string | null;
  startedAt: number;
  endedAt: number;
  steps: { name: string; values: Record<string, unknown> }[];
  events: unknown[];
}

function parseRecord(stdout: string): DeploymentRecord | null {
  try {
    return (JSON.parse(stdout) as { deployment?: DeploymentRecord }).deployment ?? null;
  } catch {
    return null;
  }
}
