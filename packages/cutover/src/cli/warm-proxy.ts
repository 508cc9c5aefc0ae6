import { Agent, request } from 'node:http';
import type { ParsedConfig } from '../config/schema.ts';

/** Requests of the warm-up burst, how many run at once, and its bound in time. */
export const WARM_REQUESTS = 400;
const WARM_CONCURRENCY = 4;
const WARM_MAX_MS = 1000;
/** One warm-up request in this many goes on a new connection (the accept path runs too). */
const NEW_CONNECTION_EVERY = 3;

/** Where the warm-up goes through the proxy: the routed process's http health path, as the route maps it; null when there is none or proxy.warmUp is false. */
export function warmTarget(config: ParsedConfig): { host: string; path: string } | null {
  if (!config.proxy.warmUp) return null;
  const routed = Object.entries(config.processes).find(([type, p]) => p.routed ?? type === 'web')?.[1];
  if (routed?.health?.type !== 'http') return null;
  const { hosts, pathPrefix, stripPrefix } = config.proxy;
  const host = hosts.length === 0 ? 'localhost' : hosts.find((h) => !h.startsWith('*'));
  if (host === undefined) return null;
  const health = routed.health.path;
  if (pathPrefix === '/') return { host, path: health };
  if (stripPrefix) return { host, path: `${pathPrefix.replace(/\/$/, '')}${health}` };
  return health === pathPrefix || health.startsWith(`${pathPrefix.replace(/\/$/, '')}/`) ? { host, path: health } : null;
}

/**
 * After a first start, a short burst of GETs of the health path through the agent's own proxy port
 * (WARM_REQUESTS, 4 at a time, at most 1 s, every answer ignored): the proxy's request path
 * (accept, parser, routing, upstream client) has then run before the first user request, and each
 * instance has keep-alive connections from the proxy. Without it the first 100-150 ms of traffic
 * after `cutover up` could wait 20-75 ms (bench/README.md). Only the health path is asked for: the
 * probes call it all the time, so repeating it is safe. Resolves with the requests sent.
 */
export async function warmProxy(port: number, target: { host: string; path: string }): Promise<number> {
  const keepAlive = new Agent({ keepAlive: true, maxSockets: WARM_CONCURRENCY });
  const deadline = performance.now() + WARM_MAX_MS;
  let sent = 0;
  const one = (fresh: boolean) =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: target.path,
          headers: { host: target.host },
          agent: fresh ? false : keepAlive,
          timeout: WARM_MAX_MS,
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
          res.on('error', () => resolve());
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve());
      req.end();
    });
  const worker = async () => {
    while (sent < WARM_REQUESTS && performance.now() < deadline) {
      sent++;
      await one(sent % NEW_CONNECTION_EVERY === 0);
    }
  };
  try {
    await Promise.all(Array.from({ length: WARM_CONCURRENCY }, worker));
  } finally {
    keepAlive.destroy();
  }
  return sent;
}
