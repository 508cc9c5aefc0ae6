import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO_ROOT } from '../../test/e2e/support/sandbox.ts';
import type { AppShape, Contender } from './contender.ts';
import { runCommand, runsFrom, stopProcess } from './processes.ts';
import { waitForHttp } from './wait-for-http.ts';

const PM2_BIN = join(REPO_ROOT, 'node_modules/pm2/bin/pm2');
const DEMO_APP = join(REPO_ROOT, 'examples/demo/demo-app.js');

/**
 * PM2 cluster mode: the daemon's master owns the port and `pm2 reload` replaces the workers one by
 * one. The app is the demo app started after its boot delay, because PM2 waits for `listening`,
 * not for an HTTP probe. PM2 runs with a private PM2_HOME, never touching a user's own daemon.
 */
export class Pm2Contender implements Contender {
  readonly name = 'pm2 reload';
  private readonly app: AppShape;
  private readonly dir: string;
  private port = 0;

  constructor(app: AppShape) {
    this.app = app;
    this.dir = mkdtempSync(join(tmpdir(), 'cutover-bench-pm2-'));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  async start(release: string): Promise<void> {
    this.port = await freePort();
    writeFileSync(
      join(this.dir, 'app.mjs'),
      `import { serveDemo } from ${JSON.stringify(DEMO_APP)};\nsetTimeout(() => serveDemo({ version: process.env.RELEASE }), ${this.app.bootDelayMs});\n`,
    );
    // Defaults for everything PM2 lets one tune (listen_timeout 3 s, kill_timeout 1.6 s, no wait_ready).
    const app = { name: 'bench', script: join(this.dir, 'app.mjs'), instances: this.app.instances, exec_mode: 'cluster' };
    writeFileSync(
      join(this.dir, 'ecosystem.config.cjs'),
      `module.exports = { apps: [{ ...${JSON.stringify(app)}, env: { RELEASE: process.env.RELEASE, PORT: '${this.port}' } }] };\n`,
    );
    await this.pm2(['start', 'ecosystem.config.cjs'], release);
    await waitForHttp(this.url, 30_000);
  }

  async deploy(release: string): Promise<undefined> {
    await this.pm2(['reload', 'ecosystem.config.cjs', '--update-env'], release);
  }

  /** PM2's daemon: in cluster mode it accepts the connections and hands them to the workers. */
  frontPid(): number | undefined {
    const pidFile = join(this.dir, 'home', 'pm2.pid');
    return existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
  }

  async details(): Promise<Record<string, unknown>> {
    return { pm2Home: join(this.dir, 'home') };
  }

  async stop(): Promise<void> {
    if (!existsSync(this.dir)) return;
    const pidFile = join(this.dir, 'home', 'pm2.pid');
    const daemon = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
    await this.pm2(['kill'], 'none').catch((error) => console.error(`pm2 kill: ${error.message}`));
    if (daemon > 0 && runsFrom(daemon, this.dir)) await stopProcess(daemon, 'SIGKILL', 1000);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async pm2(args: string[], release: string): Promise<void> {
    const result = await runCommand(process.execPath, [PM2_BIN, ...args], {
      cwd: this.dir,
      env: { PM2_HOME: join(this.dir, 'home'), RELEASE: release },
      timeoutMs: 60_000,
    });
    if (result.code !== 0) throw new Error(`pm2 ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  }
}
