// End to end: real agent, real app processes, real HTTP under continuous load, the CLI as a user runs it;
// the same rolling deploys with each data plane (the built-in Node proxy, HAProxy over its runtime API).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dataPlanes } from './support/data-planes.ts';
import { type LoadResult, runLoad } from './support/load-generator.ts';
import { waitForStatus } from './support/rollout-helpers.ts';
import { collect, Sandbox } from './support/sandbox.ts';

const LOAD_RATE_PER_SEC = 500;
const MIN_LOAD_MS = 10_000;

for (const { dataPlane, skip } of dataPlanes())
  describe(`rolling deploys under load (${dataPlane})`, { skip }, () => {
    const box = new Sandbox();

    before(async () => {
      box.release('v1', { bootDelayMs: 300 });
      box.release('v2', { bootDelayMs: 300 });
      box.release('v3', { neverReady: true });
      box.release('v4', { bootDelayMs: 300, crashAfterReadyMs: 2000 });
      box.release('v5', { bootDelayMs: 1500 });
      await box.writeConfig(
        (port) => `service: e2e
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 5s, intervalMs: 500ms }
    stopTimeoutMs: 5s
proxy: { dataPlane: ${dataPlane}, drainTimeoutMs: 10s, websocketGraceMs: 1s }
rollout: { strategy: rolling, healthTimeoutMs: 5s, bakeMs: 4s }
agent: { httpPort: ${port} }
`,
      );
      const up = await box.cli(['up', '--release', 'v1']);
      assert.equal(up.code, 0, `cutover up failed:\n${up.stdout}\n${up.stderr}`);
    });

    after(() => box.cleanup());

    /** Runs a CLI command while the load runs (at least MIN_LOAD_MS, and one more second after the command). */
    async function underLoad(args: string[], during?: (child: ReturnType<Sandbox['spawnCli']>) => void) {
      const stop = new AbortController();
      const load = runLoad(
        { url: box.url, ratePerSec: LOAD_RATE_PER_SEC, newConnectionShare: 0.3, slowShare: 0.02, durationMs: 90_000 },
        stop.signal,
      );
      const startedAt = Date.now();
      await new Promise((r) => setTimeout(r, 1000));
      const child = box.spawnCli([...args, '--json']);
      during?.(child);
      const cli = await collect(child, 120_000);
      await new Promise((r) => setTimeout(r, Math.max(1000, MIN_LOAD_MS - (Date.now() - startedAt))));
      stop.abort();
      return { cli, load: await load };
    }

    function assertNoFailures(load: LoadResult) {
      assert.ok(load.sent >= ((LOAD_RATE_PER_SEC * MIN_LOAD_MS) / 1000) * 0.9, `load too small: ${load.sent} requests`);
      assert.equal(load.failed, 0, `failed requests: ${JSON.stringify(load.failures)} of ${load.sent}`);
    }

    if (dataPlane === 'haproxy') {
      test('the agent runs HAProxy with a private config; traffic goes through it', async () => {
        const status = JSON.parse((await box.cli(['status', '--json'])).stdout);
        assert.equal(status.serving, 'v1');
        const dir = join(box.dir, '.cutover', 'haproxy');
        assert.equal(statSync(dir).mode & 0o777, 0o700);
        assert.equal(statSync(join(dir, 'haproxy.cfg')).mode & 0o777, 0o600);
        // The listener on the proxy port belongs to an haproxy process, not to the agent.
        const listeners = execFileSync('ss', ['-Hltnp', `sport = :${box.httpPort}`], { encoding: 'utf8' });
        assert.match(listeners, /haproxy/);
        const response = await fetch(`${box.url}/`);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('x-release'), 'v1');
      });
    }

    // The WebSocket drained with its grace is the Node proxy's: HAProxy waits for it like for a request, up to drainTimeoutMs.
    test(`v1 → v2: zero failed requests, all traffic ends on v2, the record has the proxy's counters${dataPlane === 'node' ? ', a WebSocket is drained with its grace' : ''}`, async () => {
      const messages: string[] = [];
      let closed: { code: number } | null = null;
      if (dataPlane === 'node') {
        const socket = new WebSocket(`ws://127.0.0.1:${box.httpPort}/ws`);
        socket.addEventListener('message', (event) => messages.push(String(event.data)));
        socket.addEventListener('close', (event) => {
          closed = { code: event.code };
        });
      }
      const { cli, load } = await underLoad(['deploy', 'v2']);
      assert.equal(cli.code, 0, `deploy failed:\n${cli.stdout}\n${cli.stderr}`);
      assertNoFailures(load);
      assert.ok(load.byRelease.v2 > 0, 'v2 served traffic');
      assert.deepEqual([...new Set(load.lastReleases)], ['v2'], 'the last responses all came from v2');
      const record = JSON.parse(cli.stdout).deployment;
      assert.equal(record.state, 'succeeded');
      assert.equal(record.fromRelease, 'v1');
      const counters = (await agentCounters(box)) as Record<string, { requests: number; byStatusClass: Record<string, number> }>;
      assert.ok(counters.v2.requests > 0, `v2 counted no request: ${JSON.stringify(counters)}`);
      assert.ok(counters.v2.byStatusClass['2xx'] > 0);
      assert.equal(counters.v2.byStatusClass['5xx'], 0);
      if (dataPlane === 'node') {
        assert.ok(
          messages.some((m) => m.includes('"v1"')),
          'the WebSocket was connected to v1',
        );
        assert.notEqual(closed, null, 'the v1 WebSocket was closed once v1 drained');
      }
    });

    test('v3 never becomes healthy: it gets no request, the deploy fails, v2 keeps serving', async () => {
      const { cli, load } = await underLoad(['deploy', 'v3']);
      assert.equal(cli.code, 1, `deploy should fail:\n${cli.stdout}\n${cli.stderr}`);
      assertNoFailures(load);
      assert.equal(load.byRelease.v3 ?? 0, 0, 'v3 served nothing');
      assert.deepEqual(Object.keys(load.byRelease), ['v2']);
      const { deployment: record, error } = JSON.parse(cli.stdout);
      assert.equal(error?.code, 'CUT_ERR_DEPLOY_FAILED', 'a --json failure carries the error object');
      assert.match(record.reason, /not healthy within \d+ ms/);
      assert.doesNotMatch(record.reason, /healthy within \d+ ms: not healthy within/, 'the reason says it once');
      const status = JSON.parse((await box.cli(['status', '--json'])).stdout);
      assert.equal(status.serving, 'v2');
      assert.equal(status.instances.filter((i: { spec: { release: string } }) => i.spec.release === 'v3').length, 0, 'no v3 instance left');
    });

    test('v4 crashes 2 s after becoming healthy: rolled back to v2 with zero failed GETs', async () => {
      const { cli, load } = await underLoad(['deploy', 'v4']);
      assert.equal(cli.code, 1, `deploy should fail:\n${cli.stdout}\n${cli.stderr}`);
      assertNoFailures(load);
      const record = JSON.parse(cli.stdout).deployment;
      assert.equal(record.state, 'rolled_back', record.reason);
      assert.equal(record.rolledBackTo, 'v2');
      assert.match(record.reason, /crashed/);
      assert.deepEqual([...new Set(load.lastReleases)], ['v2']);
    });

    test('kill -9 of the CLI mid-deploy: traffic keeps flowing, the deployment goes on in the controller to its end', async () => {
      const { load } = await underLoad(['deploy', 'v5'], (child) => {
        // Killed once the controller accepted it (then the deployment no longer depends on the CLI).
        void waitForStatus(box, (s) => s.lastDeployment?.toRelease === 'v5', 60_000).then(() => child.kill('SIGKILL'));
      });
      assertNoFailures(load);
      const watched = await box.cli(['watch', '--json']);
      assert.equal(watched.code, 0, `${watched.stdout}\n${watched.stderr}`);
      assert.equal(JSON.parse(watched.stdout).deployment.toRelease, 'v5');
      const after = JSON.parse((await box.cli(['status', '--json'])).stdout);
      assert.equal(after.lock, null, 'the finished deployment freed the lock');
      assert.equal(after.serving, 'v5');
      assert.deepEqual(
        after.instances.map((i: { spec: { release: string } }) => i.spec.release),
        ['v5', 'v5'],
      );
    });

    test('rollback with no argument returns to the last good release', async () => {
      const { cli, load } = await underLoad(['rollback']);
      assert.equal(cli.code, 0, `${cli.stdout}\n${cli.stderr}`);
      assertNoFailures(load);
      const record = JSON.parse(cli.stdout).deployment;
      assert.equal(record.kind, 'rollback');
      assert.equal(record.toRelease, 'v2');
      assert.deepEqual([...new Set(load.lastReleases)], ['v2']);
    });
  });

/** The proxy's counters of service e2e, read over the agent's admin API. */
async function agentCounters(box: Sandbox): Promise<unknown> {
  const { AgentClient } = await import('../../packages/cutover/src/platform/agent-client.ts');
  const client = new AgentClient(join(box.dir, '.cutover'));
  return (await client.counters('e2e')).counters;
}
