// End to end: WebSocket clients of a retired instance see a clean close, never a cut connection.
// Real agent, real app processes (the demo app closes its WebSockets with 1001 on SIGTERM), real
// `ws` clients through the proxy, a rolling deploy under HTTP load; every close code is counted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { runLoad } from './support/load-generator.ts';
import { collect, Sandbox } from './support/sandbox.ts';

const CLIENTS = 20;

describe('WebSockets during a rolling deploy', () => {
  const box = new Sandbox();

  before(async () => {
    box.release('v1', { bootDelayMs: 300 });
    box.release('v2', { bootDelayMs: 300 });
    await box.writeConfig(
      (port) => `service: e2e-ws
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 5s, intervalMs: 500ms }
    stopTimeoutMs: 5s
proxy: { drainTimeoutMs: 10s, websocketGraceMs: 3s }
rollout: { strategy: rolling, healthTimeoutMs: 5s, bakeMs: 1s }
agent: { httpPort: ${port} }
`,
    );
    const up = await box.cli(['up', '--release', 'v1']);
    assert.equal(up.code, 0, `cutover up failed:\n${up.stdout}\n${up.stderr}`);
  });

  after(() => box.cleanup());

  test('an app that closes its WebSockets on SIGTERM: every client of v1 gets 1001, none 1006, no request fails', async () => {
    const codes: number[] = [];
    const closes: Promise<void>[] = [];
    const releases: string[] = [];
    const sockets = await Promise.all(
      Array.from(
        { length: CLIENTS },
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const socket = new WebSocket(`ws://127.0.0.1:${box.httpPort}/ws`);
            socket.once('message', (data) => {
              releases.push(String(JSON.parse(String(data)).version));
              resolve(socket);
            });
            socket.once('error', reject);
            closes.push(
              new Promise((closed) =>
                socket.on('close', (code) => {
                  codes.push(code);
                  closed();
                }),
              ),
            );
          }),
      ),
    );
    assert.deepEqual([...new Set(releases)], ['v1']);
    const stop = new AbortController();
    const load = runLoad({ url: box.url, ratePerSec: 200, newConnectionShare: 0.3, slowShare: 0.02, durationMs: 90_000 }, stop.signal);
    const deploy = await collect(box.spawnCli(['deploy', 'v2', '--json']), 120_000);
    stop.abort();
    const result = await load;
    assert.equal(deploy.code, 0, `deploy failed:\n${deploy.stdout}\n${deploy.stderr}`);
    assert.equal(result.failed, 0, `failed requests: ${JSON.stringify(result.failures)}`);
    // Every client of v1 is closed by now or soon after (v1 is retired): wait for each close, 15 s at most.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closes), new Promise((r) => (timer = setTimeout(r, 15_000)))]);
    clearTimeout(timer);
    const tally: Record<number, number> = {};
    for (const code of codes) tally[code] = (tally[code] ?? 0) + 1;
    assert.deepEqual(tally, { 1001: CLIENTS }, `close codes seen: ${JSON.stringify(tally)}`);
    for (const socket of sockets) socket.terminate();
  });
});
