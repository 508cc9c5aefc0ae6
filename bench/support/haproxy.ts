import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireHaproxy } from '../../packages/cutover/src/agent/haproxy/haproxy-binary.ts';
import { childPids, spawnService, stopProcess } from './processes.ts';
import { waitForHttp } from './wait-for-http.ts';

/** The haproxy binary (Debian's /usr/sbin/haproxy, else PATH), or null when HAProxy is missing or too old. */
export function findHaproxy(): string | null {
  try {
    return requireHaproxy().path;
  } catch {
    return null;
  }
}

/**
 * A private HAProxy for the benches: config and output in `dir`, listening on 127.0.0.1:`port`, in
 * master-worker mode in the foreground as a child of the bench (never /etc/haproxy). One thread, so
 * that it proxies with one core like cutover's single-process agent and the one-worker nginx.
 */
export class Haproxy {
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
    const config = join(this.dir, 'haproxy.cfg');
    writeFileSync(
      config,
      `# Written by the cutover benches; private to this directory.
global
  nbthread 1
defaults
  mode http
  option http-keep-alive
  http-reuse safe
  retries 3
  retry-on conn-failure empty-response
  option redispatch 1
  timeout connect 60s
  timeout server 60s
  timeout client 75s
  timeout http-keep-alive 75s
frontend bench
  bind 127.0.0.1:${this.port}
  default_backend app
backend app
  balance roundrobin
${upstreamPorts.map((port, index) => `  server s${index + 1} 127.0.0.1:${port}`).join('\n')}
`,
    );
    this.master = spawnService(this.bin, ['-W', '-db', '-f', config], { cwd: this.dir, logFile: join(this.dir, 'haproxy.out') });
    await waitForHttp(this.url, 10_000);
  }

  /** The one worker process (the one that proxies), once started. */
  workerPid(): number | undefined {
    return this.master?.pid === undefined ? undefined : childPids(this.master.pid)[0];
  }

  async stop(): Promise<void> {
    const master = this.master;
    this.master = null;
    if (master?.pid && master.exitCode === null && master.signalCode === null) await stopProcess(master.pid, 'SIGUSR1', 5000);
  }
}

/** The HAProxy worker an agent with `proxy.dataPlane: haproxy` runs (its child's child), if any. */
export function agentHaproxyWorker(agentPid: number): number | undefined {
  const master = childPids(agentPid).find((pid) => commandName(pid) === 'haproxy');
  return master === undefined ? undefined : childPids(master)[0];
}

function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
