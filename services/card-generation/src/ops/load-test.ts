// npm run load-test [-- --url http://127.0.0.1:8100 --rate 500 --duration 20 --connections 20
//                      --network visa --max-p99-ms 20 --json]: the guide's load test, bounded in count
// and time, against loopback: POST /api/v1/cards (one card each) at an overall rate (autocannon -R:
// each connection sends rate/connections requests back to back at the start of every second, so a
// second begins with a burst at --connections in flight; not an even open loop). Passes when no
// request failed and p99 is under --max-p99-ms. Needs no service env (only the URL).
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { option } from './ops-context.ts';

const run = promisify(execFile);
/** autocannon runs as its own process, so that it does not share an event loop with anything measured. */
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

export interface LoadTestResult {
  url: string;
  rate: number;
  durationS: number;
  requests: number;
  ok2xx: number;
  failed: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

export async function runLoadTest(options: {
  url: string;
  rate: number;
  durationS: number;
  connections: number;
  network: string;
}): Promise<LoadTestResult> {
  if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/.test(options.url))
    throw new Error(`load tests run against loopback only (got ${options.url})`);
  const { stdout } = await run(
    process.execPath,
    [
      AUTOCANNON,
      '-j',
      '-m',
      'POST',
      '-H',
      'content-type=application/json',
      '-b',
      JSON.stringify({ network: options.network, count: 1 }),
      '-c',
      String(options.connections),
      '-R',
      String(options.rate),
      '-d',
      String(options.durationS),
      `${options.url.replace(/\/$/, '')}/api/v1/cards`,
    ],
    { timeout: (options.durationS + 60) * 1000, maxBuffer: 16 * 1024 * 1024 },
  );
  const result = JSON.parse(stdout) as {
    requests: { total: number };
    latency: { p50: number; p90: number; p99: number; max: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
  };
  const failed = result.errors + result.timeouts + result.non2xx;
  return {
    url: options.url,
    rate: options.rate,
    durationS: options.durationS,
    requests: result.requests.total,
    ok2xx: result['2xx'],
    failed,
    requestsPerSecond: Math.round(result.requests.total / options.durationS),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const maxP99Ms = Number(option(args, 'max-p99-ms', '20'));
  const result = await runLoadTest({
    url: option(args, 'url', 'http://127.0.0.1:8100'),
    rate: Number(option(args, 'rate', '500')),
    durationS: Math.min(300, Number(option(args, 'duration', '20'))),
    connections: Number(option(args, 'connections', '20')),
    network: option(args, 'network', 'visa'),
  });
  const ok = result.failed === 0 && result.latencyMs.p99 <= maxP99Ms;
  process.stdout.write(
    args.includes('--json')
      ? `${JSON.stringify({ ok, maxP99Ms, ...result })}\n`
      : `${result.requests} requests in ${result.durationS} s (${result.requestsPerSecond}/s at a target of ${result.rate}/s), ${result.failed} failed, latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms (max ${maxP99Ms}), max ${result.latencyMs.max} ms: ${ok ? 'PASS' : 'FAIL'}\n`,
  );
  process.exitCode = ok ? 0 : 1;
}
