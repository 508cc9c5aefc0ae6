import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, Sandbox } from '../../test/e2e/support/sandbox.ts';
import type { AppShape, Contender } from './contender.ts';
import { Nginx } from './nginx.ts';
import { spawnService, stopProcess } from './processes.ts';
import { waitForHttp } from './wait-for-http.ts';

/** How long a retired instance gets between SIGTERM and SIGKILL (cutover's default stopTimeoutMs). */
const STOP_TIMEOUT_MS = 10_000;

interface Instance {
  port: number;
  child: ChildProcess;
}

/**
 * Blue-green behind nginx, done as carefully as a script can: start the new release's instances on
 * new ports, wait until each answers 200 on /up, rewrite the upstream block, `nginx -s reload`, wait
 * until the old workers have exited, then SIGTERM the old instances and wait for them to exit.
 */
export class NginxContender implements Contender {
  readonly name = 'nginx reload';
  private readonly app: AppShape;
  private readonly bin: string;
  /** Only its release directories are used: the bench, not cutover, runs these instances. */
  private readonly box = new Sandbox('cutover-bench-nginx-');
  private nginx: Nginx | null = null;
  private serving: Instance[] = [];
  /** Every instance not yet stopped, for the cleanup. */
  private readonly running = new Set<Instance>();

  constructor(app: AppShape, bin: string) {
    this.app = app;
    this.bin = bin;
    mkdirSync(join(this.box.dir, 'logs'));
  }

  get url(): string {
    return this.nginx?.url ?? 'http://127.0.0.1:0/';
  }

  async start(release: string): Promise<void> {
    for (const name of this.app.releases) this.box.release(name, { bootDelayMs: this.app.bootDelayMs });
    this.serving = await this.startInstances(release);
    this.nginx = new Nginx(this.bin, join(this.box.dir, 'nginx'), await freePort());
    await this.nginx.start(this.serving.map((i) => i.port));
  }

  async deploy(release: string): Promise<undefined> {
    if (!this.nginx) throw new Error('nginx is not running');
    const fresh = await this.startInstances(release);
    await this.nginx.switchUpstream(fresh.map((i) => i.port));
    const old = this.serving;
    this.serving = fresh;
    await Promise.all(old.map((i) => this.stopInstance(i, STOP_TIMEOUT_MS)));
  }

  async details(): Promise<Record<string, unknown>> {
    return {};
  }

  async stop(): Promise<void> {
    await this.nginx?.stop();
    this.nginx = null;
    await Promise.all([...this.running].map((i) => this.stopInstance(i, 5000)));
    rmSync(this.box.dir, { recursive: true, force: true });
  }

  private async startInstances(release: string): Promise<Instance[]> {
    const instances: Instance[] = [];
    for (let n = 0; n < this.app.instances; n++) {
      const port = await freePort();
      const child = spawnService(process.execPath, ['server.js'], {
        cwd: join(this.box.dir, 'releases', release),
        env: { PORT: String(port) },
        logFile: join(this.box.dir, 'logs', `${release}-${n}.log`),
      });
      const instance = { port, child };
      this.running.add(instance);
      instances.push(instance);
    }
    await Promise.all(instances.map((i) => waitForHttp(`http://127.0.0.1:${i.port}/up`, 30_000)));
    return instances;
  }

  private async stopInstance(instance: Instance, timeoutMs: number): Promise<void> {
    const { pid, exitCode, signalCode } = instance.child;
    if (pid && exitCode === null && signalCode === null) await stopProcess(pid, 'SIGTERM', timeoutMs);
    this.running.delete(instance);
  }
}
