import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { runSmokeChecks } from '../../src/strategies/smoke-checks.ts';

test('smoke checks go to each instance directly, with method, headers, status and body substring; retries count', async (t) => {
  let flaky = 0;
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers['x-smoke'] ?? ''}`);
    if (req.url === '/flaky' && flaky++ < 1) return void res.writeHead(503).end('warming');
    res.writeHead(req.url === '/missing' ? 404 : 200).end('{"version":"v2"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const base = { method: 'GET', headers: {}, timeoutMs: 2000, attempts: 1, retryDelayMs: 10 };
  const results = await runSmokeChecks(
    [
      { ...base, name: 'home', path: '/', headers: { 'x-smoke': '1' }, bodyIncludes: '"version":"v2"' },
      { ...base, path: '/missing', expectStatus: [200] },
      { ...base, path: '/flaky', attempts: 3 },
      { ...base, path: '/', bodyIncludes: 'v3' },
    ],
    [{ id: 'v2.web.d1.1', port }],
  );
  assert.deepEqual(
    results.map((r) => [r.check, r.outcome, r.attempts]),
    [
      ['home', 'pass', 1],
      ['GET /missing', 'fail', 1],
      ['GET /flaky', 'pass', 2],
      ['GET /', 'fail', 1],
    ],
  );
  assert.match(results[1].message, /answered 404, expected 200/);
  assert.match(results[3].message, /does not contain "v3"/);
  assert.equal(results[0].url, `http://127.0.0.1:${port}/`);
  assert.ok(seen.includes('GET / 1'));
});
