// End to end: deployments run in the controller beside the agent, not in the CLI that asked for them.
// Real agent, real controller process, the CLI in separate processes, shortened durations.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { reservePortRange } from '@cutover/service-kit/testing';
import { controllerPid, detach, recordOf, waitFor, watchToEnd as watch } from './support/controller-record.ts';
import { runLoad } from './support/load-generator.ts';
import { eventsOf, parseRecord } from './support/rollout-helpers.ts';
import { collect, Sandbox } from './support/sandbox.ts';

const CANARY_CONFIG = (pause: string) => (port: number) =>
  `service: e2e-controller
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 10s, intervalMs: 300ms }
    stopTimeoutMs: 5s
proxy: { drainTimeoutMs: 5s, websocketGraceMs: 1s }
rollout:
  strategy: canary
  healthTimeoutMs: 15s
  steps:
    - setWeight: 30
    - pause: ${pause}
agent: { httpPort: ${port} }
`;

const ROLLING_CONFIG = (pauseMs: string) => (port: number) =>
  `service: e2e-controller
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 10s, intervalMs: 300ms }
    stopTimeoutMs: 5s
proxy: { drainTimeoutMs: 5s, websocketGraceMs: 1s }
rollout: { strategy: rolling, batchSize: 1, pauseMs: ${pauseMs}, healthTimeoutMs: 15s }
agent: { httpPort: ${port} }
`;

/** The release that answers one GET through the proxy. */
function releaseAt(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.headers['x-release'])));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Listens on the first port of the range that is free (the one the agent would give the next instance). */
async function holdFreePort([first, last]: [number, number]): Promise<Server> {
  for (let port = first; port <= last; port++) {
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(true));
    });
    if (bound) return server;
  }
  throw new Error(`no free port in ${first}-${last}`);
}

describe('the controller runs deployments', () => {
  const box = new Sandbox('cutover-e2e-controller-');
  const useConfig = (body: (port: number) => string) => writeFileSync(box.config, body(box.httpPort));

  before(async () => {
    for (const name of ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']) box.release(name, { bootDelayMs: 200 });
    await box.writeConfig(CANARY_CONFIG('{ durationMs: 20s }'));
    const up = await box.cli(['up', '--release', 'v1']);
    assert.equal(up.code, 0, `cutover up failed:\n${up.stdout}\n${up.stderr}`);
  });

  after(() => box.cleanup());

  test('a 20 s canary pause survives kill -9 of the CLI and of the controller: promoted at its deadline, 0 failed requests', async () => {
    const stopLoad = new AbortController();
    const load = runLoad({ url: box.url, ratePerSec: 40, newConnectionShare: 0.2, slowShare: 0, durationMs: 90_000 }, stopLoad.signal);
    const cli = box.spawnCli(['deploy', 'v2']);
    const cliDone = collect(cli, 120_000);
    const pause = await waitFor('the pause step', () =>
      recordOf(box, 2).events.find((e) => e.type === 'rollout:step' && e.data.pauseMs === 20_000),
    );
    const deadlineAt = pause.data.deadlineAt as number;
    cli.kill('SIGKILL');
    await cliDone;
    await waitFor('the detached follower in the record', () => recordOf(box, 2).events.some((e) => e.type === 'follower:detached'));
    const first = controllerPid(box);
    assert.ok(first);
    process.kill(first, 'SIGKILL');
    const watched = await watch(box, 2);
    stopLoad.abort();
    const traffic = await load;

    assert.equal(watched.code, 0, JSON.stringify(watched.record.reason));
    assert.equal(watched.record.state, 'succeeded');
    assert.notEqual(controllerPid(box), first, 'the agent started a new controller');
    const events = recordOf(box, 2).events;
    assert.equal(events.filter((e) => e.type === 'follower:detached').length >= 1, true);
    const resumed = events.find((e) => e.type === 'deployment:resumed');
    assert.ok(resumed, 'the record shows the controller restart');
    assert.deepEqual(resumed.data.interruptedSteps, ['rollout']);
    assert.ok(events.some((e) => e.type === 'rollout:pause-resumed'));
    const promoting = events.find((e) => e.type === 'rollout:promoting');
    assert.ok(promoting);
    assert.ok(Math.abs(promoting.at - deadlineAt) <= 1000, `promoted ${promoting.at - deadlineAt} ms from the original deadline`);
    assert.equal(traffic.failed, 0, JSON.stringify(traffic.failures));
    assert.ok(traffic.ok > 100, `the load ran (${traffic.ok} ok)`);
  });

  test('SIGHUP of an attached deploy leaves it running; cutover watch reattaches and exits with its exit code', async () => {
    useConfig(ROLLING_CONFIG('2s'));
    const cli = box.spawnCli(['deploy', 'v3']);
    let shown = '';
    cli.stdout?.on('data', (chunk: Buffer) => {
      shown += chunk.toString();
    });
    const cliDone = collect(cli, 120_000);
    // Once the CLI shows the rollout, it follows the deployment (and handles SIGHUP).
    await waitFor(
      'the rollout in the CLI output',
      () => shown.includes('rollout') && recordOf(box, 3).events.some((e) => e.type === 'batch:starting'),
    );
    cli.kill('SIGHUP');
    const detached = await cliDone;
    assert.equal(detached.code, 129, detached.stdout + detached.stderr);
    assert.match(detached.stderr, /deployment 3 keeps running in the controller/);
    assert.match(detached.stderr, /cutover watch 3/);
    assert.match(detached.stderr, /cutover abort/);
    const watched = await watch(box, 3);
    assert.equal(watched.code, 0, `${watched.record.state}: ${watched.record.reason}`);
    assert.equal(watched.record.state, 'succeeded');
    assert.equal(await releaseAt(box.httpPort), 'v3');
  });

  test('cutover abort stops a rolling deploy: the previous release back through the health-gated switch', async () => {
    useConfig(ROLLING_CONFIG('30s'));
    const id = await detach(box, 'v4');
    await waitFor('the first batch', () => recordOf(box, id).events.some((e) => e.type === 'batch:done'));
    const abort = await box.cli(['abort', '--json']);
    assert.equal(abort.code, 0, abort.stdout + abort.stderr);
    const watched = await watch(box, id);
    assert.equal(watched.code, 1);
    assert.equal(watched.record.state, 'rolled_back');
    assert.match(watched.record.reason ?? '', /cutover abort/);
    for (let i = 0; i < 10; i++) assert.equal(await releaseAt(box.httpPort), 'v3');
  });

  test('a human gate with timeoutMs 5s and onTimeout abort: aborted at 5 s, all traffic on stable', async () => {
    useConfig(CANARY_CONFIG('{ timeoutMs: 5s, onTimeout: abort }'));
    const id = await detach(box, 'v5');
    const watched = await watch(box, id);
    assert.equal(watched.code, 1);
    assert.equal(watched.record.state, 'rolled_back');
    const paused = eventsOf(watched.record, 'rollout:paused')[0];
    const timedOut = eventsOf(watched.record, 'rollout:gate-timeout')[0];
    assert.ok(paused && timedOut);
    assert.ok(Math.abs(timedOut.at - paused.at - 5000) <= 1000, `timed out after ${timedOut.at - paused.at} ms`);
    assert.equal(eventsOf(watched.record, 'rollout:aborted')[0]?.data.by, 'timeout');
    for (let i = 0; i < 10; i++) assert.equal(await releaseAt(box.httpPort), 'v3');
  });

  test('fencing: a deployment that lost its deploy lock stops before its next side effect', async () => {
    useConfig(CANARY_CONFIG('{ durationMs: 3s }'));
    const id = await detach(box, 'v6');
    await waitFor('the pause step', () => recordOf(box, id).events.some((e) => e.type === 'rollout:step' && e.data.pauseMs === 3000));
    const db = new DatabaseSync(join(box.dir, '.cutover/cutover.db'));
    db.prepare(`UPDATE locks SET owner = 'another-deployment' WHERE name = 'deploy:e2e-controller'`).run();
    db.close();
    const watched = await watch(box, id);
    assert.equal(watched.code, 1);
    assert.equal(watched.record.state, 'interrupted');
    assert.match(watched.record.reason ?? '', /lost its deploy lock/);
    assert.equal(eventsOf(watched.record, 'rollout:promoting').length, 1, 'the pause ended, then the fence stopped it');
    assert.equal(eventsOf(watched.record, 'rollout:restored').length, 0, 'nothing is restored by a fenced deployment');
    const unlock = new DatabaseSync(join(box.dir, '.cutover/cutover.db'));
    unlock.prepare(`DELETE FROM locks WHERE owner = 'another-deployment'`).run();
    unlock.close();
  });
});

describe('failures of the rollout end in a restore; rollback runs the recorded specs', () => {
  const box = new Sandbox('cutover-e2e-controller-restore-');
  const config = (label: string, instances: number, ports: [number, number]) => (port: number) =>
    `service: e2e-restore
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: ${instances}
    env: { LABEL: ${label} }
    health: { type: http, path: /up, startTimeoutMs: 10s, intervalMs: 300ms }
    stopTimeoutMs: 5s
proxy: { drainTimeoutMs: 2s, websocketGraceMs: 1s }
rollout: { strategy: rolling, healthTimeoutMs: 15s }
agent: { httpPort: ${port}, portRange: [${ports[0]}, ${ports[1]}] }
`;
  let ports: [number, number] = [0, 0];

  before(async () => {
    // Each release answers with the LABEL of its env as its version: which specs it runs shows in every answer.
    for (const name of ['r1', 'r2', 'r3']) box.release(name, {});
    for (const name of ['r1', 'r2', 'r3'])
      writeFileSync(
        join(box.dir, 'releases', name, 'server.js'),
        readFileSync(join(box.dir, 'releases', name, 'server.js'), 'utf8').replace(`"version":"${name}"`, '"version":process.env.LABEL'),
      );
    ports = await reservePortRange(3);
    await box.writeConfig(config('old', 1, ports));
    const up = await box.cli(['up', '--release', 'r1']);
    assert.equal(up.code, 0, `cutover up failed:\n${up.stdout}\n${up.stderr}`);
  });

  after(() => box.cleanup());

  test('rollback runs the specs recorded when the old release was deployed, not the config of today', async () => {
    assert.equal(await releaseAt(box.httpPort), 'old');
    writeFileSync(box.config, config('new', 1, ports)(box.httpPort));
    const deploy = await box.cli(['deploy', 'r2']);
    assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
    assert.equal(await releaseAt(box.httpPort), 'new');
    const rollback = await box.cli(['rollback', '--json']);
    assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
    const record = parseRecord(rollback.stdout);
    assert.equal(record?.steps.find((s) => s.name === 'resolve release')?.values.specsFrom, 'recorded when the release was deployed');
    assert.equal(await releaseAt(box.httpPort), 'old', 'r1 runs with the env it was deployed with');
  });

  test('a throw inside a rolling rollout (no free port) ends in the same restore as a failed health check', async () => {
    writeFileSync(box.config, config('new', 2, ports)(box.httpPort));
    const fill = await box.cli(['deploy', 'r2']);
    assert.equal(fill.code, 0, fill.stdout + fill.stderr);
    // Two ports of the range serve r2; the test holds the third: r3's first instance finds no port, and the agent call throws.
    const held = await holdFreePort(ports);
    const result = await box.cli(['deploy', 'r3', '--json']).finally(() => held.close());
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const record = parseRecord(result.stdout);
    assert.ok(record);
    assert.equal(record.state, 'rolled_back', record.reason ?? '');
    assert.equal(record.steps.find((s) => s.name === 'restore previous release')?.outcome, 'ok');
    const status = JSON.parse((await box.cli(['status', '--json'])).stdout) as {
      serving: string;
      instances: { spec: { release: string } }[];
    };
    assert.equal(status.serving, 'r2');
    assert.deepEqual(
      status.instances.map((i) => i.spec.release),
      ['r2', 'r2'],
    );
  });

  test('a throw after a new instance started (a batch of two, one port free) stops that instance in the restore', async () => {
    // The running agent keeps the three ports it started with, two of them r2's: r3's batch of two
    // starts one instance on the third, and the second finds none. (The config names a wider range,
    // as a batch of two needs, so that its validation lets the deploy in.)
    const wider = await reservePortRange(4);
    writeFileSync(box.config, config('new', 2, wider)(box.httpPort).replace('strategy: rolling,', 'strategy: rolling, batchSize: 2,'));
    const result = await box.cli(['deploy', 'r3', '--json']);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const record = parseRecord(result.stdout);
    assert.ok(record);
    assert.equal(record.state, 'rolled_back', record.reason ?? '');
    assert.equal(record.steps.find((s) => s.name === 'restore previous release')?.outcome, 'ok');
    const restored = record.events.filter((e) => e.type === 'rollout:restored').map((e) => e.data.stopped as string[]);
    assert.equal(restored.length, 1);
    assert.equal(restored[0].length, 1, `one r3 instance had started, and the restore stopped it: ${JSON.stringify(restored)}`);
    assert.match(restored[0][0], /^r3\./);
    const status = JSON.parse((await box.cli(['status', '--json'])).stdout) as {
      serving: string;
      instances: { spec: { release: string } }[];
    };
    assert.equal(status.serving, 'r2');
    assert.deepEqual(
      status.instances.map((i) => i.spec.release),
      ['r2', 'r2'],
      'the r3 instance that had started does not keep serving beside r2',
    );
  });
});
