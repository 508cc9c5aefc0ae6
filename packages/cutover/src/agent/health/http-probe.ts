import { request } from 'node:http';
import type { ProbeResult } from './health-state-machine.ts';

export interface HttpProbeOptions {
  port: number;
  path: string;
  /** Status codes that count as healthy; undefined means any 2xx. */
  expectStatus: readonly number[] | undefined;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * One GET on 127.0.0.1 over a fresh connection. No keep-alive: a pooled socket could still point
 * at a process that just died, and the probe must see the port as it is now.
 */
export function httpProbe(options: HttpProbeOptions): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(result);
    };
    const req = request({
      host: '127.0.0.1',
      port: options.port,
      path: options.path,
      method: 'GET',
      agent: false,
      headers: { connection: 'close', 'user-agent': 'cutover-health' },
    });
    const timer = setTimeout(
      () => finish({ ok: false, detail: `GET ${options.path} timed out after ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    const onAbort = (): void => finish({ ok: false, detail: 'probe cancelled' });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      const ok = options.expectStatus ? options.expectStatus.includes(status) : status >= 200 && status < 300;
      finish({ ok, detail: `GET ${options.path} → HTTP ${status}` });
    });
    req.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, detail: `GET ${options.path}: ${error.code ?? error.message}` }));
    req.end();
  });
}
