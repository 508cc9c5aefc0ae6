import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, reservePortRange } from '@cutover/service-kit/testing';
import { type InstanceInfo, type InstanceState, ProcessSupervisor } from '../../../src/agent/supervisor/process-supervisor.ts';
import { isPidAlive } from '../../../src/shared/process-group.ts';
import { health, killAll, makeSandbox, type Sandbox, spec, trackPids } from './test-apps.ts';

function waitForState(supervisor: ProcessSupervisor, id: string, state: InstanceState, timeoutMs: number): Promise<InstanceInfo> {
  return new Promise((resolve, reject) => {
    const current = supervisor.get(id);
    if (current?.state === state) return resolve(current);
    const timer = setTimeout(() => {
      supervisor.off('instance:state', onState);
      reject(new Error(`${id} did not reach ${state} within ${timeoutMs} ms (now ${supervisor.get(id)?.state})`));
    }, timeoutMs);
    const onState = (info: InstanceInfo): void => {
      if (info.spec.id !== id || info.state !== state) return;
      clearTimeout(timer);
      supervisor.off('instance:state', onState);
      resolve(info);
    };
    supervisor.on('instance:state', onState);
  });
}

describe('ProcessSupervisor: crashes, restarts, adoption', () => {
  let box: Sandbox;
  let supervisor: ProcessSupervisor;
  const pids = new Set<number>();
  const transitions: string[] = [];

  before(async () => {
    box = await makeSandbox();
    supervisor = new ProcessSupervisor({ logDir: box.logDir, portRange: await reservePortRange(), logMaxBytes: 1 << 20, logKeepFiles: 2 });
    trackPids(supervisor, pids);
    supervisor.on('instance:state', (info, previous) => transitions.push(`${info.spec.id} ${previous}→${info.state}`));
  });
  after(async () => {
    await supervisor.shutdown({ stopInstances: true }).catch(() => undefined);
    killAll(pids);
    await box.cleanup();
  });

  test('a crash is an immediate event, then restarting → starting → healthy with restarts=1 on the same port', async () => {
    const s = spec(box, { appEnv: { CRASH_ONCE_FILE: join(box.dir, 'crash-once'), CRASH_AFTER_MS: '400' } });
    const events: string[] = [];
    const onExit = (info: InstanceInfo, code: number | null): void => {
      if (info.spec.id === s.id) events.push(`exit ${code} while ${info.state}`);
    };
    const onState = (info: InstanceInfo, previous: InstanceState): void => {
      if (info.spec.id === s.id) events.push(`${previous}→${info.state}`);
    };
    supervisor.on('instance:exit', onExit);
    supervisor.on('instance:state', onState);
    try {
      const first = await supervisor.start(s);
      pids.add(first.pid!);
      assert.equal((await supervisor.waitHealthy(s.id, 20_000)).healthy, true);
      await waitForState(supervisor, s.id, 'restarting', 20_000);
      const healthy = await waitForState(supervisor, s.id, 'healthy', 20_000);
      assert.equal(healthy.restarts, 1);
      assert.equal(healthy.port, first.port);
      assert.notEqual(healthy.pid, first.pid);
      assert.equal(healthy.lastExit?.code, 1);
      assert.deepEqual(events, [
        'starting→healthy',
        'exit 1 while healthy',
        'healthy→restarting',
        'restarting→starting',
        'starting→healthy',
      ]);
    } finally {
      supervisor.off('instance:exit', onExit);
      supervisor.off('instance:state', onState);
    }
    await supervisor.stop(s.id);
  });

  test('waitHealthy resolves early when the process exits while starting', async () => {
    const s = spec(box, { appEnv: { CRASH_ALWAYS: '1', CRASH_AFTER_MS: '100', NEVER_READY: '1' } });
    await supervisor.start(s);
    const started = Date.now();
    const result = await supervisor.waitHealthy(s.id, 30_000);
    assert.ok(!result.healthy);
    assert.equal(result.state, 'restarting');
    assert.match(result.reason, /^process exited \(code 1\) before becoming healthy$/);
    assert.ok(Date.now() - started < 15_000);
    await supervisor.stop(s.id);
    assert.equal(supervisor.get(s.id)?.state, 'stopped');
  });

  test('a crash loop ends in failed after maxRestarts, with the reason and the last output', async () => {
    const s = spec(box, {
      appEnv: { CRASH_ALWAYS: '1', CRASH_AFTER_MS: '50' },
      restart: { maxRestarts: 2, backoffMs: 30, maxBackoffMs: 100, windowMs: 60_000 },
    });
    const failed = new Promise<string>((resolve) => {
      const onFailed = (info: InstanceInfo, reason: string): void => {
        if (info.spec.id !== s.id) return;
        supervisor.off('instance:failed', onFailed);
        resolve(reason);
      };
      supervisor.on('instance:failed', onFailed);
    });
    await supervisor.start(s);
    const reason = await Promise.race([
      failed,
      new Promise<string>((_, reject) => setTimeout(() => reject(new Error('no failure')), 30_000)),
    ]);
    assert.equal(reason, 'crash loop: exited 3 times within 60000 ms (maxRestarts: 2) (last exit: code 1; last output: boom)');
    const info = supervisor.get(s.id)!;
    assert.equal(info.state, 'failed');
    assert.equal(info.restarts, 2);
    assert.equal(info.pid, null);
    assert.equal(transitions.filter((t) => t.startsWith(`${s.id} `) && t.endsWith('→restarting')).length, 2);
  });

  test('adopt(): a process started by a previous supervisor is re-attached, seen healthy, watched and stopped', async () => {
    const s = spec(box, { health: health('http') });
    const portRange = await reservePortRange();
    const previous = new ProcessSupervisor({ logDir: box.logDir, portRange, logMaxBytes: 1 << 20, logKeepFiles: 2 });
    const started = await previous.start(s);
    pids.add(started.pid!);
    assert.equal((await previous.waitHealthy(s.id, 20_000)).healthy, true);
    await previous.shutdown({ stopInstances: false });
    assert.equal(process.kill(started.pid!, 0), true, 'the app outlives the supervisor that started it');

    const next = new ProcessSupervisor({
      logDir: box.logDir,
      portRange,
      logMaxBytes: 1 << 20,
      logKeepFiles: 2,
      pidPollIntervalMs: 50,
    });
    trackPids(next, pids);
    try {
      const adopted = next.adopt(s, started.pid!, started.port);
      assert.equal(adopted.pid, started.pid);
      assert.equal(adopted.port, started.port);
      assert.equal(adopted.logFile, started.logFile);
      assert.equal((await next.waitHealthy(s.id, 20_000)).healthy, true);
      const res = await fetch(`http://127.0.0.1:${started.port}/`);
      assert.equal(await res.text(), `hello from ${s.id}`);
      const stopped = await next.stop(s.id);
      assert.equal(stopped.killed, false);
      assert.equal(next.get(s.id)?.state, 'stopped');
      assert.equal(isPidAlive(started.pid!), false);
    } finally {
      await next.shutdown({ stopInstances: true });
    }
  });

  test('adopt(): an adopted process that dies is restarted per policy as our own child', async () => {
    const s = spec(box, { health: health('http') });
    const portRange = await reservePortRange();
    const previous = new ProcessSupervisor({ logDir: box.logDir, portRange, logMaxBytes: 1 << 20, logKeepFiles: 2 });
    const started = await previous.start(s);
    pids.add(started.pid!);
    assert.equal((await previous.waitHealthy(s.id, 20_000)).healthy, true);
    await previous.shutdown({ stopInstances: false });

    const next = new ProcessSupervisor({
      logDir: box.logDir,
      portRange,
      logMaxBytes: 1 << 20,
      logKeepFiles: 2,
      pidPollIntervalMs: 50,
    });
    trackPids(next, pids);
    try {
      next.adopt(s, started.pid!, started.port);
      assert.equal((await next.waitHealthy(s.id, 20_000)).healthy, true);
      const exited = new Promise<[number | null, string | null]>((resolve) =>
        next.once('instance:exit', (_i, code, signal) => resolve([code, signal])),
      );
      process.kill(started.pid!, 'SIGKILL');
      assert.deepEqual(await exited, [null, null], 'the exit status of a process that is not our child is unknown');
      const back = await waitForState(next, s.id, 'healthy', 20_000);
      assert.equal(back.restarts, 1);
      assert.notEqual(back.pid, started.pid);
      assert.equal(back.port, started.port);
    } finally {
      await next.shutdown({ stopInstances: true });
    }
  });

  test('adopt(): a pid that is not this instance is never signalled; the instance is respawned', async () => {
    const s = spec(box, { appEnv: { APP_MODE: 'tcp' }, health: health('tcp') });
    const adopter = new ProcessSupervisor({
      logDir: box.logDir,
      portRange: await reservePortRange(),
      logMaxBytes: 1 << 20,
      logKeepFiles: 2,
    });
    trackPids(adopter, pids);
    try {
      // Our own test process stands in for an unrelated process that reused the pid.
      const port = await freePort();
      const info = adopter.adopt(s, process.pid, port);
      assert.equal(info.pid, null);
      const back = await waitForState(adopter, s.id, 'healthy', 20_000);
      assert.notEqual(back.pid, process.pid);
      assert.equal(back.port, port);
    } finally {
      await adopter.shutdown({ stopInstances: true });
    }
  });
});
