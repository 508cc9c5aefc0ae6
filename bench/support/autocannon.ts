import { join } from 'node:path';
import { REPO_ROOT } from '../../test/e2e/support/sandbox.ts';
import { runCommand } from './processes.ts';

const AUTOCANNON = join(REPO_ROOT, 'node_modules/autocannon/autocannon.js');

export interface ThroughputResult {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors, timeouts and non-2xx answers. */
  failed: number;
  /** Requests answered (any status). */
  requests: number;
}

/**
 * Closed-loop maximum throughput: autocannon with `connections` keep-alive connections for
 * `durationSec`. It runs as its own process so that it does not share the bench's event loop.
 */
export async function measureThroughput(url: string, connections: number, durationSec: number): Promise<ThroughputResult> {
  const result = await runCommand(process.execPath, [AUTOCANNON, '-c', String(connections), '-d', String(durationSec), '-j', url], {
    timeoutMs: (durationSec + 30) * 1000,
  });
  if (result.code !== 0) throw new Error(`autocannon exited ${result.code}: ${result.stderr}`);
  const report = JSON.parse(result.stdout) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    errors: number;
    timeouts: number;
    non2xx: number;
  };
  return {
    reqPerSec: report.requests.average,
    p50Ms: report.latency.p50,
    p99Ms: report.latency.p99,
    failed: report.errors + report.timeouts + report.non2xx,
    requests: report.requests.total,
  };
}

/**
 * Fixed-rate load: autocannon `-R rate` on `connections` keep-alive connections for `durationSec`
 * (each connection sends its share of a second in a burst at the start of the second).
 */
export async function fixedRateLoad(
  url: string,
  options: { connections: number; rate: number; durationSec: number },
): Promise<{ requests: number; failed: number }> {
  const { connections, rate, durationSec } = options;
  const args = [AUTOCANNON, '-c', String(connections), '-d', String(durationSec), '-R', String(rate), '-j', url];
  const result = await runCommand(process.execPath, args, { timeoutMs: (durationSec + 30) * 1000 });
  if (result.code !== 0) throw new Error(`autocannon exited ${result.code}: ${result.stderr}`);
  const report = JSON.parse(result.stdout) as { requests: { total: number }; errors: number; timeouts: number; non2xx: number };
  return { requests: report.requests.total, failed: report.errors + report.timeouts + report.non2xx };
}
