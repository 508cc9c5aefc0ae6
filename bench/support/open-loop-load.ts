import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** One request as the client saw it. */
export interface LoadSample {
  /** performance.now() when the request was sent. */
  sentAt: number;
  latencyMs: number;
  /** `ok` for a 200, otherwise `http <status>` or the error code (ECONNRESET, ECONNREFUSED, timeout, ...). */
  outcome: string;
  /** The x-release header of the answer (null when there was none). */
  release: string | null;
  /** Sent on a connection of its own (closed after the answer) rather than a reused keep-alive one. */
  freshConnection: boolean;
  /** For a request on a pooled keep-alive socket: how long that socket had been idle (null: a new socket). */
  socketIdleMs: number | null;
}

export interface OpenLoopOptions {
  url: string;
  ratePerSec: number;
  /** Share of requests sent on a new connection; the rest share a keep-alive pool. */
  newConnectionShare: number;
  /** A request without an answer after this long counts as a `timeout` failure. Default 10 s. */
  timeoutMs?: number;
  /**
   * When the client drops an idle keep-alive socket. Default 5000, as Node's global agent: it then
   * honours the server's `Keep-Alive: timeout=N` hint (dropping at N − 1 s). 0 keeps idle sockets
   * until the server closes them, which races with reuse when the server's idle timeout expires.
   */
  idleSocketTimeoutMs?: number;
}

export interface LoadResult {
  /** Every request, by send time. */
  samples: LoadSample[];
  /** How late the generator's own event loop ran: a busy machine delays the sending and timing of requests. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

export interface RunningLoad {
  /** Stops sending and waits for the requests in flight (bounded by the timeout). */
  stop(): Promise<LoadResult>;
}

/** How often the scheduler wakes to send the requests that are due. */
const TICK_MS = 5;

/**
 * An open-loop load on loopback: requests leave on a fixed schedule whatever the answers take, so a
 * stall shows up as latency or failures rather than as fewer requests. Unlike the end-to-end
 * generator it timestamps every request, so the bench can tell the switch window from the rest.
 */
export function startOpenLoopLoad(options: OpenLoopOptions): RunningLoad {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const idleSocketTimeoutMs = options.idleSocketTimeoutMs ?? 5000;
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo', timeout: idleSocketTimeoutMs || undefined });
  const samples: LoadSample[] = [];
  /** When each keep-alive socket last finished a request. */
  const lastDone = new WeakMap<Socket, number>();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const startedAt = performance.now();
  let sent = 0;
  let inFlight = 0;

  const fire = () => {
    // Spread new-connection requests evenly: request n is fresh when the running share crosses an integer.
    const freshConnection = Math.floor((sent + 1) * options.newConnectionShare) > Math.floor(sent * options.newConnectionShare);
    sent++;
    inFlight++;
    const sentAt = performance.now();
    let recorded = false;
    let socketIdleMs: number | null = null;
    const record = (outcome: string, release: string | null) => {
      if (recorded) return;
      recorded = true;
      inFlight--;
      const now = performance.now();
      if (req.socket) lastDone.set(req.socket, now);
      samples.push({ sentAt, latencyMs: now - sentAt, outcome, release, freshConnection, socketIdleMs });
    };
    const req = request(options.url, { agent: freshConnection ? false : keepAlive, timeout: timeoutMs }, (res) => {
      const release = typeof res.headers['x-release'] === 'string' ? res.headers['x-release'] : null;
      res.on('error', (error: NodeJS.ErrnoException) => record(error.code ?? error.message, release));
      res.on('end', () => record(res.statusCode === 200 ? 'ok' : `http ${res.statusCode}`, release));
      // Only reached first when the connection closed before the body ended.
      res.on('close', () => record('response cut short', release));
      res.resume();
    });
    req.on('socket', (socket: Socket) => {
      const last = lastDone.get(socket);
      if (last !== undefined) socketIdleMs = performance.now() - last;
    });
    // A timeout before the connection was even accepted is told apart: the server never saw the request.
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('no answer in time'), { code: req.socket?.connecting ? 'connect timeout' : 'timeout' })),
    );
    req.on('error', (error: NodeJS.ErrnoException) => record(error.code ?? error.message, null));
    req.end();
  };

  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - startedAt) * options.ratePerSec) / 1000) - sent;
    for (let i = 0; i < due; i++) fire();
  }, TICK_MS);

  return {
    async stop() {
      clearInterval(timer);
      const deadline = performance.now() + timeoutMs + 1000;
      while (inFlight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      keepAlive.destroy();
      loopDelay.disable();
      return {
        samples: samples.sort((a, b) => a.sentAt - b.sentAt),
        eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        eventLoopDelayMaxMs: loopDelay.max / 1e6,
      };
    },
  };
}
