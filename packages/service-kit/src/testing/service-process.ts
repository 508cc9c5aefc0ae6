import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './ports.ts';
import { waitFor } from './wait-for.ts';

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL: no shutdown at all (no lease release, no ack). */
  kill(): Promise<void>;
}

export interface ServiceProcessOptions {
  /** The service's folder (the process's working directory). */
  serviceDir: string;
  /** Runs `src/<kind>-main.ts`: `api`, `worker`, `consumer`… */
  kind: string;
  /** The process's environment besides PATH and PORT; LOG_LEVEL is `info` unless it says otherwise. */
  env: Record<string, string>;
  /** How long the readiness probe may take to pass (default 60 s: the machine may be busy). */
  readyTimeoutMs?: number;
}

/**
 * Runs a real entry point (`node src/<kind>-main.ts` in `serviceDir`) as its own process on a free
 * port and waits until its `/health/ready` passes; a process that exits first fails with its output.
 */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const { serviceDir, kind, env } = options;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [`src/${kind}-main.ts`], {
    cwd: serviceDir,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const done = () => child.exitCode !== null || child.signalCode !== null;
  const stop = async (timeoutMs = 15_000) => {
    if (done()) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const kill = async () => {
    if (done()) return;
    child.kill('SIGKILL');
    await exited;
  };
  try {
    const ready = await waitFor(
      `${kind} to be ready`,
      async () => {
        if (done()) return 'exited';
        const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
        return response?.status === 200 ? 'ready' : undefined;
      },
      options.readyTimeoutMs ?? 60_000,
      100,
    );
    if (ready === 'exited') throw new Error(`${kind} exited ${child.exitCode}:\n${output}`);
    return { child, url, output: () => output, stop, kill };
  } catch (error) {
    await kill();
    throw error;
  }
}
