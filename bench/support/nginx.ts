import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { childPids, isAlive, runCommand, sleep, spawnService, stopProcess } from './processes.ts';
import { waitForHttp } from './wait-for-http.ts';

/** The nginx binary on PATH, or null when nginx is not installed. */
export function findNginx(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * A private nginx: its own prefix, config, pid file and logs in `dir`, listening on 127.0.0.1:`port`,
 * in the foreground as a child of the bench (never /etc/nginx, never a system port). One worker
 * process, so that it proxies with one core like cutover's single-process agent.
 */
export class Nginx {
  private readonly bin: string;
  private readonly dir: string;
  private readonly port: number;
  private master: ChildProcess | null = null;

  constructor(bin: string, dir: string, port: number) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  async start(upstreamPorts: number[]): Promise<void> {
    mkdirSync(join(this.dir, 'temp'), { recursive: true });
    this.writeConfig(upstreamPorts);
    this.master = spawnService(this.bin, [...this.cliArgs(), '-g', 'daemon off;'], { cwd: this.dir, logFile: join(this.dir, 'nginx.out') });
    await waitForHttp(this.url, 10_000);
  }

  /**
   * Points the upstream at new ports with a graceful reload, and resolves once the workers of the old
   * configuration have exited, i.e. once nothing can route to the old upstream any more.
   */
  async switchUpstream(upstreamPorts: number[]): Promise<void> {
    const master = this.master?.pid;
    if (!master) throw new Error('nginx is not running');
    const oldWorkers = childPids(master);
    this.writeConfig(upstreamPorts);
    const reload = await runCommand(this.bin, [...this.cliArgs(), '-s', 'reload'], { cwd: this.dir, timeoutMs: 10_000 });
    if (reload.code !== 0) throw new Error(`nginx -s reload exited ${reload.code}: ${reload.stderr}`);
    const deadline = performance.now() + 30_000;
    while (oldWorkers.some(isAlive)) {
      if (performance.now() > deadline) throw new Error('the old nginx workers did not exit within 30 s of the reload');
      await sleep(5);
    }
  }

  /** The one worker process (the one that proxies), once started. */
  workerPid(): number | undefined {
    return this.master?.pid === undefined ? undefined : childPids(this.master.pid)[0];
  }

  async stop(): Promise<void> {
    const master = this.master;
    this.master = null;
    if (master?.pid && master.exitCode === null && master.signalCode === null) await stopProcess(master.pid, 'SIGQUIT', 5000);
  }

  private cliArgs(): string[] {
    return ['-p', `${this.dir}/`, '-c', join(this.dir, 'nginx.conf'), '-e', join(this.dir, 'error.log')];
  }

  private writeConfig(upstreamPorts: number[]): void {
    const temp = join(this.dir, 'temp');
    writeFileSync(
      join(this.dir, 'nginx.conf'),
      `# Written by the cutover benches; private to this directory.
${process.getuid?.() === 0 ? `user ${userInfo().username};\n` : ''}worker_processes 1;
pid ${join(this.dir, 'nginx.pid')};
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${temp}/body;
  proxy_temp_path ${temp}/proxy;
  fastcgi_temp_path ${temp}/fastcgi;
  uwsgi_temp_path ${temp}/uwsgi;
  scgi_temp_path ${temp}/scgi;
  upstream app {
${upstreamPorts.map((port) => `    server 127.0.0.1:${port};`).join('\n')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${this.port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`,
    );
  }
}
