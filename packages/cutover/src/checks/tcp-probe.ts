import { connect } from 'node:net';
import { type CheckOutcome, fail, pass } from './check-result.ts';

/** Opens a TCP connection and closes it. Refused, unreachable and silent hosts all end within timeoutMs. */
export function probeTcp(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<CheckOutcome> {
  const startedAt = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let done = false;
    const finish = (outcome: CheckOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = () => finish(fail(`aborted before ${host}:${port} answered`));
    const timer = setTimeout(() => finish(fail(`no answer from ${host}:${port} within ${timeoutMs}ms`, null, { timeoutMs })), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      const latencyMs = Math.round(performance.now() - startedAt);
      finish(pass(`${host}:${port} accepts connections (${latencyMs}ms)`, { latencyMs }));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : `${error.code ?? ''} ${error.message}`.trim();
      finish(fail(`cannot connect to ${host}:${port}: ${why}`, { error: error.code ?? error.message }));
    });
  });
}
