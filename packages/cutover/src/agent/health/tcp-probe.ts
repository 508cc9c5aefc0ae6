import { connect } from 'node:net';
import type { ProbeResult } from './health-state-machine.ts';

export interface TcpProbeOptions {
  port: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Healthy when a TCP connection to 127.0.0.1:port is accepted; the socket is closed at once. */
export function tcpProbe(options: TcpProbeOptions): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const socket = connect({ host: '127.0.0.1', port: options.port });
    const timer = setTimeout(() => finish({ ok: false, detail: `connect timed out after ${options.timeoutMs} ms` }), options.timeoutMs);
    const onAbort = (): void => finish({ ok: false, detail: 'probe cancelled' });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('connect', () => finish({ ok: true, detail: `connected to port ${options.port}` }));
    socket.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, detail: `connect ${error.code ?? error.message}` }));
  });
}
