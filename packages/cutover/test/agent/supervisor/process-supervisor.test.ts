import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { reservePortRange } from '@cutover/service-kit/testing';
import { type InstanceInfo, type InstanceState, ProcessSupervisor } from '../../../src/agent/supervisor/process-supervisor.ts';
import { isCutoverError } from '../../../src/errors/cutover-error.ts';
import { health, killAll, makeSandbox, type Sandbox, spec, trackPids } from './test-apps.ts';

function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (predicate()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`condition not met within ${timeoutMs} ms`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

describe('ProcessSupervisor: start, health, stop', () => {
  let box: Sandbox;
  let supervisor: ProcessSupervisor;
  const pids = new Set<number>();
  const states: Array<{ id: string; from: InstanceState; to: InstanceState }> = [];

  let portRange: [number, number];

  before(async () => {
    box = await makeSandbox();
    portRange = await reservePortRange();
    supervisor = new ProcessSupervisor({
      logDir: box.logDir,
      portRange,
      logMaxBytes: 1024 * 1024,
      logKeepFiles: 2,
    });
    trackPids(supervisor, pids);
    supervisor.on('instance:state', (info, previous) => states.push({ id: info.spec.id, from: previous, to: info.state }));
  });
  after(async () => {
    await supervisor.shutdown({ stopInstances: true }).catch(() => undefined);
    killAll(pids);
    await box.cleanup();
  });

  async function startTracked(...args: Parameters<typeof spec>): Promise<InstanceInfo> {
    const info = await supervisor.start(spec(...args));
    if (info.pid !== null) pids.add(info.pid);
    return info;
  }

  test('http check: starting → healthy, and the app answers on its private port', async () => {
    const info = await startTracked(box, { health: health('http') });
    assert.equal(info.state, 'starting');
    assert.ok(info.port !== null && info.port >= portRange[0] && info.port <= portRange[1]);
    assert.equal(info.logFile, join(box.logDir, 'shop', `${info.spec.id}.log`));
    const result = await supervisor.waitHealthy(info.spec.id, 20_000);
    assert.equal(result.healthy, true, JSON.stringify(result));
    const body = await (await fetch(`http://127.0.0.1:${info.port}/`)).text();
    assert.equal(body, `hello from ${info.spec.id}`);
    const now = supervisor.get(info.spec.id)!;
    assert.equal(now.state, 'healthy');
    assert.ok(now.healthyAt !== null && now.healthyAt >= now.startedAt);
    assert.deepEqual(
      states.filter((s) => s.id === info.spec.id).map((s) => `${s.from}→${s.to}`),
      ['starting→healthy'],
    );
  });

  test('http check with expectStatus', async () => {
    const info = await startTracked(box, { health: health('http', { path: '/teapot', expectStatus: [418] } as never) });
    assert.equal((await supervisor.waitHealthy(info.spec.id, 20_000)).healthy, true);
  });

  test('tcp check, and tcp is the default for a process with a port', async () => {
    const tcp = await startTracked(box, { appEnv: { APP_MODE: 'tcp' }, health: health('tcp') });
    const implicit = await startTracked(box, { appEnv: { APP_MODE: 'tcp' }, health: undefined });
    assert.equal((await supervisor.waitHealthy(tcp.spec.id, 20_000)).healthy, true);
    assert.equal((await supervisor.waitHealthy(implicit.spec.id, 70_000)).healthy, true);
  });

  test('command check runs with the instance env (its port included)', async () => {
    const check = { ...health('tcp'), type: 'command', command: `test -n "$PORT" && test "$CUTOVER_SERVICE" = shop` } as never;
    const info = await startTracked(box, { appEnv: { APP_MODE: 'tcp' }, health: check });
    assert.equal((await supervisor.waitHealthy(info.spec.id, 20_000)).healthy, true);
  });

  test('process check: a portless worker is healthy once up for upForMs; it gets no port', async () => {
    const info = await startTracked(box, { appEnv: { APP_MODE: 'worker' }, portEnv: null, health: health('process', { upForMs: 400 }) });
    assert.equal(info.port, null);
    const result = await supervisor.waitHealthy(info.spec.id, 20_000);
    assert.ok(result.healthy && result.ms >= 400, JSON.stringify(result));
  });

  test('healthy → unhealthy after unhealthyThreshold failed probes, and back to healthy; it is not restarted', async () => {
    const downFile = join(box.dir, 'down-flag');
    const info = await startTracked(box, {
      appEnv: { DOWN_FILE: downFile },
      health: health('http', { intervalMs: 100, unhealthyThreshold: 2 }),
    });
    assert.equal((await supervisor.waitHealthy(info.spec.id, 20_000)).healthy, true);
    const seen = (): string[] => states.filter((s) => s.id === info.spec.id).map((s) => `${s.from}→${s.to}`);
    await writeFile(downFile, '');
    await waitUntil(() => supervisor.get(info.spec.id)?.state === 'unhealthy', 20_000);
    await rm(downFile);
    await waitUntil(() => supervisor.get(info.spec.id)?.state === 'healthy', 20_000);
    assert.deepEqual(seen(), ['starting→healthy', 'healthy→unhealthy', 'unhealthy→healthy']);
    const now = supervisor.get(info.spec.id)!;
    assert.equal(now.pid, info.pid);
    assert.equal(now.restarts, 0);
    await supervisor.stop(info.spec.id);
  });

  test('a never-ready app fails after startTimeoutMs and is stopped', async () => {
    const failures: string[] = [];
    const onFailed = (info: InstanceInfo, reason: string): void => {
      failures.push(`${info.spec.id}: ${reason}`);
    };
    supervisor.on('instance:failed', onFailed);
    const info = await startTracked(box, { appEnv: { NEVER_READY: '1' }, health: health('http', { startTimeoutMs: 1500 }) });
    const result = await supervisor.waitHealthy(info.spec.id, 20_000);
    supervisor.off('instance:failed', onFailed);
    assert.equal(result.healthy, false);
    assert.ok(!result.healthy);
    assert.equal(result.state, 'failed');
    assert.match(result.reason, /^not healthy within 1500 ms \(\d+ probes; last: GET \/up → HTTP 503\)$/);
    // Other tests' instances may fail meanwhile; only this one's failures matter here.
    assert.deepEqual(
      failures.filter((f) => f.startsWith(`${info.spec.id}: `)),
      [`${info.spec.id}: ${result.reason}`],
    );
    const stopped = await supervisor.stop(info.spec.id);
    assert.equal(stopped.killed, false);
    assert.equal(stopped.exitCode, 0, 'the SIGTERM handler ran and exited 0');
    const now = supervisor.get(info.spec.id)!;
    assert.equal(now.state, 'failed');
    assert.equal(now.pid, null);
    assert.equal(now.failure, result.reason);
  });

  test('stop sends SIGTERM to the app, whose handler runs; state goes stopping → stopped', async () => {
    const info = await startTracked(box);
    assert.equal((await supervisor.waitHealthy(info.spec.id, 20_000)).healthy, true);
    const exits: Array<[number | null, string | null]> = [];
    supervisor.on('instance:exit', (i, code, signal) => {
      if (i.spec.id === info.spec.id) exits.push([code, signal]);
    });
    const result = await supervisor.stop(info.spec.id);
    assert.equal(result.killed, false);
    assert.equal(result.exitCode, 0);
    assert.equal(result.signal, null);
    assert.deepEqual(exits, [[0, null]]);
    const log = await readFile(info.logFile, 'utf8');
    assert.match(log, /got SIGTERM/);
    assert.deepEqual(
      states.filter((s) => s.id === info.spec.id).map((s) => `${s.from}→${s.to}`),
      ['starting→healthy', 'healthy→stopping', 'stopping→stopped'],
    );
    const after = supervisor.get(info.spec.id)!;
    assert.equal(after.pid, null);
    assert.equal(after.restarts, 0, 'a requested stop is not restarted');
    assert.throws(() => process.kill(info.pid!, 0), { code: 'ESRCH' });
    assert.deepEqual(await supervisor.stop(info.spec.id), result, 'stopping again reports the same stop');
  });

  test('an app ignoring SIGTERM is SIGKILLed after timeoutMs', async () => {
    const info = await startTracked(box, { appEnv: { IGNORE_SIGTERM: '1' } });
    assert.equal((await supervisor.waitHealthy(info.spec.id, 20_000)).healthy, true);
    const result = await supervisor.stop(info.spec.id, { timeoutMs: 400 });
    assert.equal(result.killed, true);
    assert.equal(result.signal, 'SIGKILL');
    assert.ok(result.ms >= 400 && result.ms < 10_000, `${result.ms} ms`);
    assert.match(await readFile(info.logFile, 'utf8'), /got SIGTERM/);
    assert.equal(supervisor.get(info.spec.id)?.state, 'stopped');
  });

  test('a missing working directory: CUT_ERR_AGENT_SPAWN from start(), and a failed instance saying why', async () => {
    const bad = spec(box, { cwd: join(box.dir, 'no-such-release') });
    await assert.rejects(supervisor.start(bad), (error) => {
      assert.ok(isCutoverError(error));
      assert.equal(error.code, 'CUT_ERR_AGENT_SPAWN');
      assert.match(error.message, /working directory does not exist: .*no-such-release/);
      return true;
    });
    const info = supervisor.get(bad.id)!;
    assert.equal(info.state, 'failed');
    assert.equal(info.failure, `working directory does not exist: ${bad.cwd}`);
    assert.equal((await supervisor.waitHealthy(bad.id, 1000)).healthy, false);
  });

  test('a command that does not exist fails at once with a clear reason, without restarts', async () => {
    const info = await startTracked(box, { command: 'no-such-binary-cutover --serve' });
    const result = await supervisor.waitHealthy(info.spec.id, 20_000);
    assert.ok(!result.healthy);
    assert.equal(result.state, 'failed');
    assert.match(result.reason, /^command not found: no-such-binary-cutover --serve \(last exit: code 127; last output: .*not found\)$/);
    assert.equal(supervisor.get(info.spec.id)?.restarts, 0);
  });

  test('bad input is refused: duplicate live id, http check without a port, unknown id', async () => {
    const info = await startTracked(box, { appEnv: { APP_MODE: 'tcp' }, health: health('tcp') });
    await assert.rejects(supervisor.start(info.spec), { code: 'CUT_ERR_AGENT_INSTANCE_EXISTS' });
    await assert.rejects(supervisor.start(spec(box, { portEnv: null, health: health('http') })), {
      code: 'CUT_ERR_AGENT_HEALTH_NEEDS_PORT',
    });
    assert.throws(() => supervisor.waitHealthy('nope', 10), { code: 'CUT_ERR_AGENT_INSTANCE_NOT_FOUND' });
    assert.throws(() => supervisor.stop('nope'), { code: 'CUT_ERR_AGENT_INSTANCE_NOT_FOUND' });
    await supervisor.stop(info.spec.id);
  });

  test('ports are distinct across live instances; list() shows them all', async () => {
    const a = await startTracked(box, { appEnv: { APP_MODE: 'tcp' }, health: health('tcp') });
    const b = await startTracked(box, { appEnv: { APP_MODE: 'tcp' }, health: health('tcp') });
    assert.notEqual(a.port, b.port);
    const ids = supervisor.list().map((i) => i.spec.id);
    assert.ok(ids.includes(a.spec.id) && ids.includes(b.spec.id));
    await Promise.all([supervisor.stop(a.spec.id), supervisor.stop(b.spec.id)]);
  });

  test('shutdown({ stopInstances: true }) stops everything still running', async () => {
    const local = new ProcessSupervisor({ logDir: box.logDir, portRange: await reservePortRange(), logMaxBytes: 1 << 20, logKeepFiles: 1 });
    trackPids(local, pids);
    const info = await local.start(spec(box));
    pids.add(info.pid!);
    assert.equal((await local.waitHealthy(info.spec.id, 20_000)).healthy, true);
    await local.shutdown({ stopInstances: true });
    assert.equal(local.get(info.spec.id)?.state, 'stopped');
    assert.throws(() => process.kill(info.pid!, 0), { code: 'ESRCH' });
    await assert.rejects(local.start(spec(box)), { code: 'CUT_ERR_AGENT_SUPERVISOR_CLOSED' });
  });
});
