import { type ChildProcess, spawn } from 'node:child_process';
import { SERVICE_DIR } from './paths.ts';
import { waitFor } from './wait-for.ts';

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL: no shutdown, no lease release, no ack. */
  kill(): Promise<void>;
}

/**
 * Runs a real entry point (`node src/api-main.ts` or `src/consumer-main.ts`) as its own process on
 * a free port and waits until its readiness probe passes. The port is read from the log line
 * "Server listening at", which pino writes at info level.
 */
export async function startServiceProcess(kind: 'api' | 'consumer', env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [`src/${kind}-main.ts`], {
    cwd: SERVICE_DIR,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: '0', LOG_LEVEL: env.LOG_LEVEL === 'debug' ? 'debug' : 'info' },
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
    const listening = await waitFor(
      `${kind} to listen`,
      () => (done() ? 'exited' : /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]),
      20_000,
    );
    if (listening === 'exited') throw new Error(`${kind} exited ${child.exitCode}:\n${output}`);
    await waitFor(
      `${kind} to be ready`,
      async () => ((await fetch(`${listening}/health/ready`)).status === 200 ? true : undefined),
      20_000,
    );
    return { child, url: listening, output: () => output, stop, kill };
  } catch (error) {
    await kill();
    throw error;
  }
}
