import { connect } from 'node:net';
import { CutoverError } from '../../errors/cutover-error.ts';

/** How long one runtime API exchange may take. */
export const RUNTIME_TIMEOUT_MS = 5000;

/**
 * Sends commands to HAProxy's runtime API (the stats socket) on one connection, `;`-separated as
 * the API allows, and resolves with the whole answer once HAProxy closes the connection.
 */
export function runtimeExchange(socketPath: string, commands: readonly string[], timeoutMs = RUNTIME_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.end(`${commands.join('; ')}\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** CUT_ERR_AGENT_HAPROXY_RUNTIME for a runtime API that did not answer (or gave no usable answer). */
export function runtimeUnreachable(socketPath: string, cause: unknown): CutoverError {
  return new CutoverError(
    'CUT_ERR_AGENT_HAPROXY_RUNTIME',
    `HAProxy's runtime API (${socketPath}) did not answer: ${cause instanceof Error ? cause.message : String(cause)}`,
    {
      where: socketPath,
      hint: 'the agent restarts HAProxy when it exits; see the agent log for why it stopped',
      cause,
    },
  );
}

/** CUT_ERR_AGENT_HAPROXY_RUNTIME for a command HAProxy refused. */
export function runtimeRefused(socketPath: string, refusal: string, commands: readonly string[], output: string): CutoverError {
  return new CutoverError('CUT_ERR_AGENT_HAPROXY_RUNTIME', `HAProxy refused a runtime command: ${refusal}`, {
    where: socketPath,
    hint: 'this is a bug of the driver or an HAProxy it does not support: report it with the agent log',
    details: { commands, answer: output.slice(0, 2000) },
  });
}
