import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, reservePortRange } from '@cutover/service-kit/testing';
import { parseDocument } from 'yaml';

export { freePort };

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = join(REPO_ROOT, 'packages/cutover/bin/cutover.js');
const DEMO_APP = join(REPO_ROOT, 'examples/demo/demo-app.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A throwaway project: a cutover.yml, release directories of the demo app, its own agent data dir and port. */
export class Sandbox {
  readonly dir: string;
  readonly config: string;
  httpPort = 0;
  #portRange: Awaited<ReturnType<typeof reservePortRange>> | null = null;

  constructor(prefix = 'cutover-e2e-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    this.config = join(this.dir, 'cutover.yml');
  }

  /** Writes releases/<name>/server.js starting the demo app with these options. */
  release(name: string, options: Record<string, unknown>): void {
    mkdirSync(join(this.dir, 'releases', name), { recursive: true });
    writeFileSync(
      join(this.dir, 'releases', name, 'server.js'),
      `import { serveDemo } from ${JSON.stringify(DEMO_APP)};\nserveDemo(${JSON.stringify({ version: name, ...options })});\n`,
    );
  }

  /**
   * Writes cutover.yml with a free proxy port; a config that sets no `agent.portRange` gets one
   * reserved for this test process, so that agents of tests running side by side never share ports.
   */
  async writeConfig(body: (port: number) => string): Promise<void> {
    this.httpPort = await freePort();
    const doc = parseDocument(body(this.httpPort));
    if (doc.errors.length === 0 && !doc.hasIn(['agent', 'portRange'])) this.#portRange ??= await reservePortRange();
    this.rewriteConfig(body);
  }

  /** Writes another cutover.yml for the same agent: the same proxy port and the same reserved port range. */
  rewriteConfig(body: (port: number) => string): void {
    const text = body(this.httpPort);
    const doc = parseDocument(text);
    if (doc.errors.length > 0 || doc.hasIn(['agent', 'portRange']) || this.#portRange === null) {
      writeFileSync(this.config, text);
      return;
    }
    const range = doc.createNode(this.#portRange);
    range.flow = true;
    doc.setIn(['agent', 'portRange'], range);
    writeFileSync(this.config, doc.toString());
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  cli(args: string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
    const child = this.spawnCli(args);
    return collect(child, options.timeoutMs ?? 120_000);
  }

  spawnCli(args: string[]): ChildProcess {
    return spawn(process.execPath, [CLI, ...args, '--config', this.config], {
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: '1' },
    });
  }

  /** The CLI with its own arguments (a different --config or working directory). */
  spawnCliWith(args: string[], cwd = this.dir): ChildProcess {
    return spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
  }

  async cleanup(): Promise<void> {
    await this.cli(['down', '--agent'], { timeoutMs: 60_000 }).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function collect(child: ChildProcess, timeoutMs: number): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
