/**
 * An even open loop, run as its own process: one request every 1000 / --rate ms for --duration s on
 * keep-alive connections (as many as are in flight), each latency measured from the time the request
 * was due, not from when it was sent, so a client or server that falls behind shows in the figures
 * (no coordinated omission). Prints one JSON line. Loopback only.
 *   node bench/support/open-loop-client.ts --url http://127.0.0.1:8100/api/v1/cards --rate 500 --duration 10
 *        [--method POST --body '{"network":"visa","count":1}']
 */
import http from 'node:http';

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const url = new URL(arg('url', 'http://127.0.0.1:8100/health/liveness'));
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`loopback only (got ${url.hostname})`);
const rate = Number(arg('rate', '500'));
const durationS = Number(arg('duration', '10'));
const method = arg('method', 'GET');
const body = arg('body', '');
const headers = body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {};
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

const latencies: number[] = [];
let failed = 0;
const send = (due: number) =>
  new Promise<void>((resolve) => {
    const request = http.request(url, { method, agent, headers }, (response) => {
      response.resume();
      response.on('end', () => {
        if ((response.statusCode ?? 0) >= 300) failed++;
        else latencies.push(performance.now() - due);
        resolve();
      });
    });
    request.on('error', () => {
      failed++;
      resolve();
    });
    request.end(body || undefined);
  });

const total = Math.round(rate * durationS);
const startedAt = performance.now();
const inFlight: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = startedAt + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0.5) await new Promise((resolve) => setTimeout(resolve, wait));
  inFlight.push(send(due));
}
await Promise.all(inFlight);
const elapsedS = (performance.now() - startedAt) / 1000;
agent.destroy();
latencies.sort((a, b) => a - b);
const at = (q: number) => (latencies.length ? Number(latencies[Math.floor(q * (latencies.length - 1))].toFixed(2)) : null);
process.stdout.write(
  `${JSON.stringify({
    requests: total,
    failed,
    requestsPerSecond: Math.round(total / elapsedS),
    latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) },
  })}\n`,
);
