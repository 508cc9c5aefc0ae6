import { Agent, request } from 'node:http';
import { type LoadFigures, percentile } from './load-figures.ts';

export interface OpenLoopLoad {
  /** Loopback URLs, used in turn (the proxy, or each instance). */
  urls: readonly string[];
  method: string;
  headers: Record<string, string>;
  body?: string;
  ratePerSecond: number;
  durationMs: number;
  requestTimeoutMs: number;
  maxInFlight: number;
  signal?: AbortSignal;
}

/** The scheduler wakes at most this often and sends every request that is due. */
const TICK_MS = 5;

/**
 * Offers requests at a fixed rate for a fixed time, whether or not earlier ones were answered (an
 * open loop: a slow release cannot slow the offered load down, it shows up as latency, timeouts and
 * dropped requests). Only loopback URLs are accepted. Resolves with the figures once every request
 * sent was answered or timed out.
 */
export async function runOpenLoopLoad(load: OpenLoopLoad): Promise<LoadFigures> {
  const targets = load.urls.map((u) => new URL(u));
  for (const target of targets) {
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname))
      throw new Error(`load tests run on loopback only, not ${target.host}`);
  }
  if (targets.length === 0) throw new Error('no URL to send the load to');
  const agent = new Agent({ keepAlive: true, maxSockets: load.maxInFlight });
  const offered = Math.max(1, Math.floor((load.ratePerSecond * load.durationMs) / 1000));
  const intervalMs = 1000 / load.ratePerSecond;
  const latencies: number[] = [];
  const byStatus: Record<string, number> = {};
  let sent = 0;
  let dropped = 0;
  let answered = 0;
  let errors = 0;
  let timedOut = 0;
  let inFlight = 0;
  let maxSendLagMs = 0;
  const pending = new Set<Promise<void>>();

  const sendOne = (target: URL): Promise<void> =>
    new Promise((resolve) => {
      const startedAt = performance.now();
      let done = false;
      const end = (status: string, isError: boolean, gotAnswer: boolean) => {
        if (done) return;
        done = true;
        inFlight--;
        byStatus[status] = (byStatus[status] ?? 0) + 1;
        if (isError) errors++;
        if (gotAnswer) {
          answered++;
          latencies.push(performance.now() - startedAt);
        }
        resolve();
      };
      const req = request(target, { method: load.method, headers: load.headers, agent, timeout: load.requestTimeoutMs }, (res) => {
        res.resume();
        res.on('end', () => end(`${Math.floor((res.statusCode ?? 0) / 100)}xx`, (res.statusCode ?? 500) >= 400, true));
        res.on('error', () => end('network', true, false));
      });
      req.on('timeout', () => {
        timedOut++;
        req.destroy();
        end('timeout', true, false);
      });
      req.on('error', () => end('network', true, false));
      req.end(load.body);
    });

  const started = performance.now();
  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = () => {
      const now = performance.now();
      while (next < offered && started + next * intervalMs <= now) {
        maxSendLagMs = Math.max(maxSendLagMs, now - (started + next * intervalMs));
        if (inFlight >= load.maxInFlight) dropped++;
        else {
          inFlight++;
          sent++;
          const p = sendOne(targets[next % targets.length]);
          pending.add(p);
          void p.then(() => pending.delete(p));
        }
        next++;
      }
      if (next >= offered || load.signal?.aborted) resolve();
      else setTimeout(tick, Math.min(TICK_MS, Math.max(0, started + next * intervalMs - performance.now())));
    };
    tick();
  });
  await Promise.all(pending);
  agent.destroy();
  const elapsedMs = Math.max(load.durationMs, performance.now() - started - load.requestTimeoutMs);
  latencies.sort((a, b) => a - b);
  const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    offered,
    sent,
    dropped,
    answered,
    errors,
    timedOut,
    byStatus,
    durationMs: Math.round(performance.now() - started),
    offeredRatePerSecond: load.ratePerSecond,
    answeredRatePerSecond: Math.round((answered / (elapsedMs / 1000)) * 10) / 10,
    rateRatio: Math.round((answered / offered) * 1000) / 1000,
    errorRate: Math.round((errors / Math.max(1, sent + dropped)) * 10_000) / 10_000,
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies.at(-1) ?? null),
    maxSendLagMs: Math.round(maxSendLagMs),
  };
}
