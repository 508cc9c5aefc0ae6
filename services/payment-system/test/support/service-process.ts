import { type ChildProcess, spawn } from 'node:child_process';
import { AUTH_DIR, PAYMENTS_DIR } from './paths.ts';
import { waitFor } from './wait-for.ts';

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
}

/**
 * Runs a service's real entry point (`node src/main.ts`) as its own process on a free port and
 * waits until its readiness probe passes. The port is read from the "Server listening" log line.
 */
export async function startServiceProcess(service: 'auth' | 'payments', env: Record<string, string>): Promise<ServiceProcess> {
  const dir = service === 'auth' ? AUTH_DIR : PAYMENTS_DIR;
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: '0', LOG_LEVEL: 'info' },
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
  const stop = async (timeoutMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  try {
    const listening = await waitFor(
      `${service} to listen`,
      () => (child.exitCode !== null ? 'exited' : /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]),
      20_000,
    );
    if (listening === 'exited') throw new Error(`${service} exited ${child.exitCode}:\n${output}`);
    const url = listening;
    await waitFor(`${service} to be ready`, async () => ((await fetch(`${url}/health/ready`)).status === 200 ? true : undefined), 20_000);
    return { child, url, output: () => output, stop };
  } catch (error) {
    await stop(2_000);
    throw error;
  }
}
