// End to end with HAProxy as the data plane (proxy.dataPlane: haproxy): the same rolling deploy under
// load as rolling-deploy.test.ts, through Debian's haproxy driven over its runtime API.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { haproxyMissing } from './support/data-planes.ts';
import { type LoadResult, runLoad } from './support/load-generator.ts';
import { collect, Sandbox } from './support/sandbox.ts';

const LOAD_RATE_PER_SEC = 500;
const MIN_LOAD_MS = 10_000;

describe('rolling deploys under load with HAProxy as the data plane', { skip: haproxyMissing() }, () => {
  const box = new Sandbox();

  before(async () => {
    box.release('v1', { bootDelayMs: 300 });
    box.release('v2', { bootDelayMs: 300 });
    box.release('v3', { neverReady: true });
    await box.writeConfig(
      (port) => `service: e2e
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 5s, intervalMs: 500ms }
    stopTimeoutMs: 5s
proxy: { dataPlane: haproxy, drainTimeoutMs: 10s, websocketGraceMs: 1s }
rollout: { strategy: rolling, healthTimeoutMs: 5s, bakeMs: 4s }
agent: { httpPort: ${port} }
`,
    );
    const up = await box.cli(['up', '--release', 'v1']);
    assert.equal(up.code, 0, `cutover up failed:\n${up.stdout}\n${up.stderr}`);
  });

  after(() => box.cleanup());

  async function underLoad(args: string[]) {
    const stop = new AbortController();
    const load = runLoad(
      { url: box.url, ratePerSec: LOAD_RATE_PER_SEC, newConnectionShare: 0.3, slowShare: 0.02, durationMs: 90_000 },
      stop.signal,
    );
    const startedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    const cli = await collect(box.spawnCli([...args, '--json']), 120_000);
    await new Promise((r) => setTimeout(r, Math.max(1000, MIN_LOAD_MS - (Date.now() - startedAt))));
    stop.abort();
    return { cli, load: await load };
  }

  function assertNoFailures(load: LoadResult) {
    assert.ok(load.sent >= ((LOAD_RATE_PER_SEC * MIN_LOAD_MS) / 1000) * 0.9, `load too small: ${load.sent} requests`);
    assert.equal(load.failed, 0, `failed requests: ${JSON.stringify(load.failures)} of ${load.sent}`);
  }

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

  test('v1 → v2: zero failed requests, all traffic ends on v2, the record has the counters from HAProxy', async () => {
    const { cli, load } = await underLoad(['deploy', 'v2']);
    assert.equal(cli.code, 0, `deploy failed:\n${cli.stdout}\n${cli.stderr}`);
    assertNoFailures(load);
    assert.ok(load.byRelease.v2 > 0, 'v2 served traffic');
    assert.deepEqual([...new Set(load.lastReleases)], ['v2'], 'the last responses all came from v2');
    const record = JSON.parse(cli.stdout).deployment;
    assert.equal(record.state, 'succeeded');
    assert.equal(record.fromRelease, 'v1');
    const state = await agentState(box);
    const counters = state.counters as Record<string, { requests: number; byStatusClass: Record<string, number> }>;
    assert.ok(counters.v2.requests > 0, `v2 counted no request: ${JSON.stringify(counters)}`);
    assert.ok(counters.v2.byStatusClass['2xx'] > 0);
    assert.equal(counters.v2.byStatusClass['5xx'], 0);
  });

  test('v3 never becomes healthy: it gets no request, the deploy fails, v2 keeps serving', async () => {
    const { cli, load } = await underLoad(['deploy', 'v3']);
    assert.equal(cli.code, 1, `deploy should fail:\n${cli.stdout}\n${cli.stderr}`);
    assertNoFailures(load);
    assert.equal(load.byRelease.v3 ?? 0, 0, 'v3 served nothing');
    assert.deepEqual(Object.keys(load.byRelease), ['v2']);
    const status = JSON.parse((await box.cli(['status', '--json'])).stdout);
    assert.equal(status.serving, 'v2');
  });
});

/** The proxy's counters of service e2e, read over the agent's admin API. */
async function agentState(box: Sandbox): Promise<{ counters: unknown }> {
  const { AgentClient } = await import('../../packages/cutover/src/platform/agent-client.ts');
  const client = new AgentClient(join(box.dir, '.cutover'));
  return { counters: (await client.counters('e2e')).counters };
}
