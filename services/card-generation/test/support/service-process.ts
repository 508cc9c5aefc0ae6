import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { waitFor } from '@cutover/service-kit/testing';
import { SERVICE_DIR } from './paths.ts';

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL: no shutdown at all. */
  kill(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs `node src/<kind>-main.ts` as its own process on a free port and waits for its readiness. */
export async function startServiceProcess(kind: 'api' | 'worker', env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [`src/${kind}-main.ts`], {
    cwd: SERVICE_DIR,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
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
      60_000,
      100,
    );
    if (ready === 'exited') throw new Error(`${kind} exited ${child.exitCode}:\n${output}`);
    return { child, url, output: () => output, stop, kill };
  } catch (error) {
    await kill();
    throw error;
  }
}
