// A real agent in the test process serving service "guarded" (v1, two instances) and real demo app
// processes, for the strategy tests that roll, abort and restore against it. useGuardedAgent()
// registers the hooks that start it before a file's tests and stop it after them.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { reservePortRange } from '@cutover/service-kit/testing';
import { Agent } from '../../../src/agent/agent.ts';
import { parseConfigText } from '../../../src/config/load-config.ts';
import type { RolloutConfig } from '../../../src/config/schema-rollout.ts';
import { buildRouteSpec } from '../../../src/controller/steps/route-spec.ts';
import { agentBackend } from '../../../src/platform/agent-backend.ts';
import { AgentClient, type AgentInstance } from '../../../src/platform/agent-client.ts';
import { buildReleasePlan, type ReleasePlan } from '../../../src/releases/release-plan.ts';
import { DeploymentSignals } from '../../../src/store/deployment-signals.ts';
import { DeploymentStore } from '../../../src/store/deployment-store.ts';
import { runStrategy } from '../../../src/strategies/run-strategy.ts';

const DEMO_APP = fileURLToPath(new URL('../../../../../examples/demo/demo-app.js', import.meta.url));
export const TEST = { timeout: 60_000 };

export const dir = mkdtempSync(join(tmpdir(), 'cutover-guarded-'));
const base = (rollout: string, proxy = '', drainTimeout = '2s') => `service: guarded
processes:
  web:
    command: ${JSON.stringify(`${process.execPath} server.js`)}
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 5s, intervalMs: 200ms }
    stopTimeoutMs: 2s
proxy: { drainTimeoutMs: ${drainTimeout}, websocketGraceMs: 100ms${proxy} }
rollout:
${rollout}
`;

function release(name: string, options: Record<string, unknown> = {}): string {
  const path = join(dir, 'releases', name);
  mkdirSync(path, { recursive: true });
  writeFileSync(
    join(path, 'server.js'),
    `import { serveDemo } from ${JSON.stringify(DEMO_APP)};\nserveDemo(${JSON.stringify({ version: name, ...options })});\n`,
  );
  return path;
}

let agent: Agent;
export let httpPort: number;
let store: DeploymentStore;
export let signals: DeploymentSignals;
export const client = new AgentClient(join(dir, 'data'));
export const backend = agentBackend(client);
export let serving: ReleasePlan;
export let deploymentId = 0;

export function loadedWith(rollout: string, proxy = '', drainTimeout?: string) {
  return { ...parseConfigText(base(rollout, proxy, drainTimeout), join(dir, 'cutover.yml')), dataDir: join(dir, 'data') };
}

/** Runs one rollout from what serves to `name`; returns the result and the recorded events. */
export async function roll(
  name: string,
  rollout: string,
  options: {
    proxy?: string;
    drainTimeout?: string;
    onEvent?: (type: string, data: Record<string, unknown>) => void;
    watchIntervalMs?: number;
  } = {},
) {
  const loaded = loadedWith(rollout, options.proxy, options.drainTimeout);
  await client.setRoute(buildRouteSpec(loaded));
  const plan = buildReleasePlan(loaded, name, join(dir, 'releases', name), process.env);
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const result = await runStrategy(
    {
      deploymentId: ++deploymentId,
      plan,
      previous: serving,
      backend,
      emit: (type, data) => {
        events.push({ type, data });
        options.onEvent?.(type, data);
      },
      watchIntervalMs: options.watchIntervalMs ?? 50,
    },
    loaded.config.rollout as RolloutConfig,
    { router: backend, signals, cwd: dir, signalPollMs: 20 },
  );
  if (result.outcome === 'ok') serving = plan;
  return { result, events, of: (type: string) => events.filter((e) => e.type === type) };
}

export async function releasesRunning(): Promise<string[]> {
  return (await backend.instances('guarded')).map((i) => i.spec.release).sort();
}

/** A stand-in Prometheus: answers every instant query with `result` and remembers the queries. */
export async function fakePrometheus(result: unknown[]): Promise<{ url: string; queries: string[]; close: () => Promise<void> }> {
  const queries: string[] = [];
  const server = http.createServer((req, res) => {
    queries.push(new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '');
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, queries, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * The agent's instances at the moment the rollout starts aborting (asked before the abort's own
 * calls reach the agent): what the agent made of a failed new instance by then.
 */
export function listAtAbort(): { onEvent: (type: string) => void; listing: Promise<AgentInstance[]> } {
  let resolve: (value: Promise<AgentInstance[]>) => void = () => {};
  const listing = new Promise<AgentInstance[]>((r) => (resolve = r));
  return {
    listing,
    onEvent: (type) => {
      if (type === 'rollout:aborting') resolve(backend.instances('guarded'));
    },
  };
}

/**
 * With a watch slower than the supervisor's restart (1.5 s), a crashed instance would have been
 * restarted and back in the pool before the rollout saw it: a rollout instance is failed instead.
 */
export function assertFailedNotRestarted(listing: AgentInstance[], release: string): void {
  const crashed = listing.filter((i) => i.spec.release === release && i.state !== 'healthy');
  assert.ok(crashed.length > 0, `a ${release} instance failed: ${JSON.stringify(listing.map((i) => [i.spec.id, i.state]))}`);
  for (const instance of crashed) {
    assert.equal(instance.restarts, 0, `${instance.spec.id} was not restarted`);
    assert.equal(instance.inPool, false, `${instance.spec.id} left the pool`);
    assert.ok(['failed', 'stopping', 'stopped'].includes(instance.state), `${instance.spec.id} is ${instance.state}`);
  }
}

/** Starts the agent and v1 before the calling file's tests, stops everything after them. */
export function useGuardedAgent(): void {
  before(async () => {
    for (const name of ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']) release(name);
    release('v-crash', { crashAfterReadyMs: 400 });
    agent = new Agent({
      dataDir: join(dir, 'data'),
      httpPort: 0,
      listenHost: '127.0.0.1',
      portRange: await reservePortRange(),
      logMaxBytes: 1024 * 1024,
      logKeepFiles: 1,
    });
    httpPort = (await agent.start()).httpPort;
    store = new DeploymentStore(join(dir, 'data', 'deployments.db'));
    signals = new DeploymentSignals(store.db);
    const loaded = loadedWith('  strategy: rolling');
    await client.setRoute(buildRouteSpec(loaded));
    serving = buildReleasePlan(loaded, 'v1', join(dir, 'releases', 'v1'), process.env);
    for (const [index, p] of serving.processes.entries()) {
      for (let i = 0; i < p.instances; i++) {
        const info = await backend.startInstance({ ...p.template, id: `v1.web.d0.${index}${i}` }, p.routed);
        assert.ok((await backend.waitHealthy(info.spec.id, 10_000)).healthy);
      }
    }
  });

  after(async () => {
    await agent?.stop({ stopInstances: true });
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
}
