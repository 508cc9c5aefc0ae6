import { Agent, request } from 'node:http';

export interface LoadOptions {
  url: string;
  /** Requests per second across all clients. */
  ratePerSec: number;
  /** Share of requests sent on a fresh connection (the rest reuse keep-alive sockets). */
  newConnectionShare: number;
  /** Share of requests that ask for a slow answer (1-5 s). */
  slowShare: number;
  /** Stops by itself after this long. */
  durationMs: number;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** Failures by kind: status code or error code. */
  failures: Record<string, number>;
  /** Successful responses by the release that served them (x-release header). */
  byRelease: Record<string, number>;
  /** Failed responses by the release that answered them (x-release header; "?" for the proxy's own). */
  failedByRelease: Record<string, number>;
  /** The release of the last responses, oldest first. */
  lastReleases: string[];
  latenciesMs: number[];
  /**
   * Every successful response: when its request was written to a socket (epoch ms; a request that
   * waited for a free keep-alive socket counts from then) and the release that answered.
   */
  answered: { sentAtMs: number; release: string }[];
}

/**
 * A bounded open-loop load on loopback: requests start on a fixed schedule whatever the answers
 * take, so a stall shows up as failures or latency instead of fewer requests.
 */
export function runLoad(options: LoadOptions, signal?: AbortSignal): Promise<LoadResult> {
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });
  const result: LoadResult = {
    sent: 0,
    ok: 0,
    failed: 0,
    failures: {},
    byRelease: {},
    failedByRelease: {},
    lastReleases: [],
    latenciesMs: [],
    answered: [],
  };
  const started = Date.now();
  const intervalMs = 1000 / options.ratePerSec;
  let inFlight = 0;
  let finishedSending = false;
  return new Promise((resolve) => {
    const done = () => {
      if (finishedSending && inFlight === 0) {
        keepAlive.destroy();
        resolve(result);
      }
    };
    const fire = () => {
      result.sent++;
      inFlight++;
      const slow = Math.random() < options.slowShare;
      const path = slow ? `/slow?ms=${1000 + Math.floor(Math.random() * 4000)}` : '/';
      const fresh = Math.random() < options.newConnectionShare;
      const t0 = performance.now();
      let sentAtMs = Date.now();
      const req = request(`${options.url}${path}`, { agent: fresh ? false : keepAlive, timeout: 30_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          inFlight--;
          const release = String(res.headers['x-release'] ?? '?');
          if (res.statusCode === 200) {
            result.ok++;
            result.byRelease[release] = (result.byRelease[release] ?? 0) + 1;
            result.lastReleases.push(release);
            if (result.lastReleases.length > 50) result.lastReleases.shift();
            result.latenciesMs.push(performance.now() - t0);
            result.answered.push({ sentAtMs, release });
          } else {
            result.failed++;
            result.failures[String(res.statusCode)] = (result.failures[String(res.statusCode)] ?? 0) + 1;
            result.failedByRelease[release] = (result.failedByRelease[release] ?? 0) + 1;
          }
          done();
        });
      });
      req.on('timeout', () => req.destroy(new Error('client timeout')));
      req.on('error', (error: NodeJS.ErrnoException) => {
        inFlight--;
        result.failed++;
        const kind = error.code ?? error.message;
        result.failures[kind] = (result.failures[kind] ?? 0) + 1;
        done();
      });
      req.on('finish', () => {
        sentAtMs = Date.now();
      });
      req.end();
    };
    // Fire in small bursts every 10 ms to hold the rate without a timer per request.
    const timer = setInterval(() => {
      const elapsed = Date.now() - started;
      if (elapsed >= options.durationMs || signal?.aborted) {
        clearInterval(timer);
        finishedSending = true;
        done();
        return;
      }
      const due = Math.floor(elapsed / intervalMs) + 1 - result.sent;
      for (let i = 0; i < due; i++) fire();
    }, 10);
  });
}

export function percentile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
