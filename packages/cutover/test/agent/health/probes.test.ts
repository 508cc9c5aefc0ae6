import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { buildProbe } from '../../../src/agent/health/build-probe.ts';
import { commandProbe } from '../../../src/agent/health/command-probe.ts';
import { httpProbe } from '../../../src/agent/health/http-probe.ts';
import { tcpProbe } from '../../../src/agent/health/tcp-probe.ts';
import type { HealthCheckConfig } from '../../../src/config/schema.ts';

const timing = {
  intervalMs: 100,
  startIntervalMs: 50,
  timeoutMs: 1000,
  healthyThreshold: 1,
  unhealthyThreshold: 1,
  startTimeoutMs: 5000,
  upForMs: 200,
};

function listen(server: Server | TcpServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function closedPort(): Promise<number> {
  const server = createTcpServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('probes', () => {
  const seenConnectionHeaders: Array<string | undefined> = [];
  const http = createServer((req, res) => {
    seenConnectionHeaders.push(req.headers.connection);
    if (req.url === '/up') res.end('ok');
    else if (req.url === '/down') {
      res.statusCode = 503;
      res.end();
    } else if (req.url === '/hang') {
      // never answers
    } else res.end();
  });
  const tcp = createTcpServer((socket) => socket.end());
  let httpPort = 0;
  let tcpPort = 0;

  before(async () => {
    httpPort = await listen(http);
    tcpPort = await listen(tcp);
  });
  after(() => {
    http.closeAllConnections();
    http.close();
    tcp.close();
  });

  test('http: 2xx is healthy, over a non-keep-alive connection', async () => {
    assert.deepEqual(await httpProbe({ port: httpPort, path: '/up', expectStatus: undefined, timeoutMs: 2000 }), {
      ok: true,
      detail: 'GET /up → HTTP 200',
    });
    assert.equal(seenConnectionHeaders.at(-1), 'close');
  });

  test('http: non-2xx is unhealthy unless listed in expectStatus', async () => {
    assert.deepEqual(await httpProbe({ port: httpPort, path: '/down', expectStatus: undefined, timeoutMs: 2000 }), {
      ok: false,
      detail: 'GET /down → HTTP 503',
    });
    const expected = await httpProbe({ port: httpPort, path: '/down', expectStatus: [503], timeoutMs: 2000 });
    assert.equal(expected.ok, true);
    const notListed = await httpProbe({ port: httpPort, path: '/up', expectStatus: [204], timeoutMs: 2000 });
    assert.equal(notListed.ok, false);
  });

  test('http: refused connection and timeout are failures with a reason', async () => {
    const refused = await httpProbe({ port: await closedPort(), path: '/up', expectStatus: undefined, timeoutMs: 2000 });
    assert.deepEqual(refused, { ok: false, detail: 'GET /up: ECONNREFUSED' });
    const started = Date.now();
    const hung = await httpProbe({ port: httpPort, path: '/hang', expectStatus: undefined, timeoutMs: 300 });
    assert.deepEqual(hung, { ok: false, detail: 'GET /hang timed out after 300 ms' });
    assert.ok(Date.now() - started < 5000);
  });

  test('tcp: accepted connection is healthy, refused is not', async () => {
    assert.equal((await tcpProbe({ port: tcpPort, timeoutMs: 2000 })).ok, true);
    assert.deepEqual(await tcpProbe({ port: await closedPort(), timeoutMs: 2000 }), { ok: false, detail: 'connect ECONNREFUSED' });
  });

  test('command: exit 0 is healthy; it runs with the given env and cwd', async () => {
    const result = await commandProbe({
      command: 'test "$FOO" = bar && test "$(pwd)" = /tmp',
      cwd: '/tmp',
      env: { FOO: 'bar' },
      timeoutMs: 5000,
    });
    assert.deepEqual(result, { ok: true, detail: 'check command exit 0' });
  });

  test('command: non-zero exit is unhealthy and shows its output', async () => {
    const result = await commandProbe({ command: 'echo "db not ready"; exit 3', cwd: '/tmp', env: {}, timeoutMs: 5000 });
    assert.deepEqual(result, { ok: false, detail: 'check command exit 3: db not ready' });
  });

  test('command: a command past timeoutMs is killed', async () => {
    const started = Date.now();
    const result = await commandProbe({ command: 'sleep 30', cwd: '/tmp', env: { PATH: process.env.PATH ?? '' }, timeoutMs: 300 });
    assert.deepEqual(result, { ok: false, detail: 'check command timed out after 300 ms' });
    assert.ok(Date.now() - started < 5000);
  });

  test('command: a background child holding stdout does not hold the probe', async () => {
    const started = Date.now();
    const result = await commandProbe({
      command: 'sleep 30 & exit 0',
      cwd: '/tmp',
      env: { PATH: process.env.PATH ?? '' },
      timeoutMs: 10_000,
    });
    assert.equal(result.ok, true);
    assert.ok(Date.now() - started < 5000, 'returned soon after the command exited');
  });

  test('process: healthy once alive for upForMs; a dead pid is unhealthy', async () => {
    const check: HealthCheckConfig = { type: 'process', ...timing };
    const signal = new AbortController().signal;
    let now = 1000;
    const probe = buildProbe(check, { port: null, pid: process.pid, env: {}, cwd: '/tmp', startedAtMs: 1000 }, () => now);
    assert.deepEqual(await probe(signal), { ok: false, detail: 'process up for 0 ms of 200 ms' });
    now = 1200;
    assert.deepEqual(await probe(signal), { ok: true, detail: 'process up for 200 ms' });
    const dead = buildProbe(check, { port: null, pid: 2 ** 22 + 1, env: {}, cwd: '/tmp', startedAtMs: 0 });
    assert.equal((await dead(signal)).ok, false);
  });

  test('an http or tcp check on a process without a port explains why it fails', async () => {
    const probe = buildProbe({ type: 'tcp', ...timing }, { port: null, pid: process.pid, env: {}, cwd: '/tmp', startedAtMs: 0 });
    assert.deepEqual(await probe(new AbortController().signal), {
      ok: false,
      detail: 'this check needs a port but the process has none (portEnv is null)',
    });
  });
});
