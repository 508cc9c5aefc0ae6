import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { after, before, test } from 'node:test';
import { judgeLoad } from '../../src/checks/load-test/judge-load.ts';
import { percentile } from '../../src/checks/load-test/load-figures.ts';
import { runOpenLoopLoad } from '../../src/checks/load-test/open-loop-load.ts';
import { lastJsonLine, runLoadTest } from '../../src/checks/load-test/run-load-test.ts';
import { runValidation } from '../../src/checks/run-validation.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { loadTestSchema } from '../../src/config/schema-load-test.ts';

let server: Server;
let base: string;
let flakySeen = 0;

before(async () => {
  // /ok answers at once; /flaky fails every 4th request; /slow answers after 300 ms.
  server = createServer((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end('late'), 300);
    else if (req.url === '/flaky' && ++flakySeen % 4 === 0) {
      res.statusCode = 503;
      res.end();
    } else res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const success = { minRateRatio: 0.95, maxP95Ms: 100, maxErrorRate: 0.01 };

test('the verdict judges every criterion and carries the figures', () => {
  const held = judgeLoad({ rateRatio: 1, p95Ms: 12.5, errorRate: 0 }, success);
  assert.deepEqual(held, {
    outcome: 'pass',
    message: 'rate held 100% (min 95%), p95 12.5 ms (max 100 ms), errors 0% (max 1%)',
    measured: { rateRatio: 1, p95Ms: 12.5, errorRate: 0 },
    threshold: success,
  });
  const broke = judgeLoad({ rateRatio: 0.5, p95Ms: 400, errorRate: 0.2 }, success);
  assert.equal(broke.outcome, 'fail');
  assert.equal(
    broke.message,
    'only 50% of the offered requests were answered (min 95%); p95 latency 400 ms is above 100 ms; error rate 20% is above 1%: the release did not hold the load',
  );
  assert.equal(judgeLoad({ p95Ms: null as unknown as number }, success).outcome, 'fail');
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95), 10);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50), 5);
  assert.equal(percentile([], 95), null);
});

test('the open-loop generator offers the configured rate to a real server on loopback and measures it', async () => {
  const figures = await runOpenLoopLoad({
    urls: [`${base}/ok`],
    method: 'GET',
    headers: {},
    ratePerSecond: 100,
    durationMs: 1000,
    requestTimeoutMs: 2000,
    maxInFlight: 100,
  });
  assert.equal(figures.offered, 100);
  assert.equal(figures.sent, 100);
  assert.equal(figures.answered, 100);
  assert.equal(figures.errors, 0);
  assert.deepEqual(figures.byStatus, { '2xx': 100 });
  assert.equal(figures.rateRatio, 1);
  assert.ok(figures.durationMs >= 980, `took ${figures.durationMs} ms: the rate was not paced`);
  assert.ok(figures.p95Ms !== null && figures.p95Ms > 0);
  const flaky = await runOpenLoopLoad({
    urls: [`${base}/flaky`],
    method: 'GET',
    headers: {},
    ratePerSecond: 100,
    durationMs: 400,
    requestTimeoutMs: 2000,
    maxInFlight: 100,
  });
  assert.equal(flaky.byStatus['5xx'], 10);
  assert.equal(flaky.errorRate, 0.25);
  assert.equal(judgeLoad(flaky, success).outcome, 'fail');
});

test('a release that cannot keep up: requests beyond maxInFlight are dropped and the rate is not held', async () => {
  const config = loadTestSchema.parse({
    path: '/slow',
    ratePerSecond: 100,
    durationMs: '500ms',
    maxInFlight: 5,
    success: { minRateRatio: 0.9 },
  });
  const verdict = await runLoadTest(config, { baseUrls: [base], cwd: tmpdir(), env: {} });
  assert.equal(verdict.outcome, 'fail');
  const measured = verdict.measured as { dropped: number; rateRatio: number };
  assert.ok(measured.dropped > 20, `dropped ${measured.dropped}`);
  assert.ok(measured.rateRatio < 0.9);
  assert.match(verdict.message, /of the offered requests were answered/);
});

test('only loopback is loaded', async () => {
  await assert.rejects(
    () =>
      runOpenLoopLoad({
        urls: ['http://10.1.2.3/'],
        method: 'GET',
        headers: {},
        ratePerSecond: 1,
        durationMs: 100,
        requestTimeoutMs: 100,
        maxInFlight: 1,
      }),
    /loopback only/,
  );
});

test('a load command: exit 0 with figures judged, a non-zero exit fails; it gets the URL and rate', async () => {
  assert.deepEqual(lastJsonLine('warming up\n{"ratePerSecond": 45, "p95Ms": 12}\n', 50), { ratePerSecond: 45, p95Ms: 12, rateRatio: 0.9 });
  const script = `echo "$CUTOVER_LOAD_URL $CUTOVER_LOAD_RATE" >&2; echo '{"ratePerSecond": 49, "p95Ms": 12, "errorRate": 0}'`;
  const held = await runLoadTest(loadTestSchema.parse({ command: script, ratePerSecond: 50, path: '/x' }), {
    baseUrls: [base],
    cwd: tmpdir(),
    env: {},
  });
  assert.equal(held.outcome, 'pass', held.message);
  const slow = await runLoadTest(loadTestSchema.parse({ command: `echo '{"ratePerSecond": 30}'`, ratePerSecond: 50 }), {
    baseUrls: [base],
    cwd: tmpdir(),
    env: {},
  });
  assert.equal(slow.outcome, 'fail');
  const crashed = await runLoadTest(loadTestSchema.parse({ command: ['sh', '-c', 'echo boom >&2; exit 2'] }), {
    baseUrls: [base],
    cwd: tmpdir(),
    env: {},
  });
  assert.equal(crashed.outcome, 'fail');
  assert.match(crashed.message, /the load command exited 2: boom/);
});

test('validation.loadTest runs in the validation step with its figures in the record', async () => {
  const loaded = parseConfigText(
    `service: shop\nprocesses:\n  web:\n    command: node server.js\nvalidation:\n  loadTest:\n    name: checkout-load\n    path: /ok\n    ratePerSecond: 50\n    durationMs: 400ms\n    success: { maxP95Ms: 1000 }\n`,
    '/tmp/cutover.yml',
  );
  const result = await runValidation(
    { loaded, deploymentId: 'd1', release: 'v2', previousRelease: 'v1', log: () => {}, signal: new AbortController().signal },
    { proxyBaseUrl: base },
  );
  assert.equal(result.outcome, 'ok', result.reason);
  const [check] = result.values.checks as { name: string; kind: string; measured: { offered: number; rateRatio: number } }[];
  assert.equal(check.name, 'checkout-load');
  assert.equal(check.kind, 'load-test');
  assert.equal(check.measured.offered, 20);
  assert.equal(check.measured.rateRatio, 1);
});
