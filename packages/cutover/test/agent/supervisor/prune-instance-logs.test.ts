import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { reservePortRange } from '@cutover/service-kit/testing';
import { ProcessSupervisor } from '../../../src/agent/supervisor/process-supervisor.ts';
import { planInstanceLogPruning, pruneInstanceLogs } from '../../../src/agent/supervisor/prune-instance-logs.ts';
import { health, killAll, makeSandbox, spec, trackPids } from './test-apps.ts';

test('planInstanceLogPruning deletes the logs (and rotations) of finished instances beyond the newest `keep`', () => {
  const files = [
    { name: 'v1.web.d1.1.log', mtimeMs: 10 },
    { name: 'v1.web.d1.1.log.1', mtimeMs: 5 },
    { name: 'v2.web.d2.1.log', mtimeMs: 20 },
    { name: 'v3.web.d3.1.log', mtimeMs: 30 },
    { name: 'v3.web.d3.1.log.1', mtimeMs: 25 },
    { name: 'v4.web.d4.1.log', mtimeMs: 1 },
    { name: 'notes.txt', mtimeMs: 0 },
  ];
  assert.deepEqual(planInstanceLogPruning(files, new Set(['v4.web.d4.1']), 1), ['v1.web.d1.1.log', 'v1.web.d1.1.log.1', 'v2.web.d2.1.log']);
  assert.deepEqual(planInstanceLogPruning(files, new Set(), 0).length, 6);
  assert.deepEqual(planInstanceLogPruning(files, new Set(), 10), []);
});

test('logs with the same file time (the kernel clock is coarse) are ordered by when the supervisor stopped them', () => {
  const files = [
    { name: 'web-1-2.log', mtimeMs: 50 },
    { name: 'web-1-3.log', mtimeMs: 50 },
    { name: 'web-1-10.log', mtimeMs: 50 },
  ];
  const stopped = new Map([
    ['web-1-10', 1],
    ['web-1-2', 2],
    ['web-1-3', 3],
  ]);
  assert.deepEqual(planInstanceLogPruning(files, new Set(), 1, stopped).sort(), ['web-1-10.log', 'web-1-2.log']);
  assert.deepEqual(planInstanceLogPruning(files, new Set(), 2, new Map([['web-1-2', 9]])), ['web-1-3.log'], 'unknown ones are older');
});

test('pruneInstanceLogs deletes in the service log directory', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [index, id] of ['a', 'b', 'c'].entries()) {
    writeFileSync(join(dir, `${id}.log`), 'x');
    utimesSync(join(dir, `${id}.log`), 1000 + index, 1000 + index);
  }
  assert.deepEqual(pruneInstanceLogs(dir, new Set(['a']), 1), ['b.log']);
  assert.deepEqual(readdirSync(dir).sort(), ['a.log', 'c.log']);
  assert.deepEqual(pruneInstanceLogs(join(dir, 'missing'), new Set(), 1), []);
});

test('the supervisor prunes when an instance stops: the running ones and the newest `keepInstanceLogs` finished ones keep their logs', async (t) => {
  const box = await makeSandbox();
  const supervisor = new ProcessSupervisor({
    logDir: box.logDir,
    portRange: await reservePortRange(),
    logMaxBytes: 1024 * 1024,
    logKeepFiles: 1,
    keepInstanceLogs: 1,
  });
  const pids = new Set<number>();
  trackPids(supervisor, pids);
  t.after(async () => {
    await supervisor.shutdown({ stopInstances: true }).catch(() => undefined);
    killAll(pids);
    await box.cleanup();
  });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const worker = spec(box, { health: health('process'), portEnv: undefined, appEnv: { APP_MODE: 'worker' } });
    await supervisor.start(worker);
    ids.push(worker.id);
  }
  const logs = () =>
    readdirSync(join(box.logDir, 'shop'))
      .filter((name) => name.endsWith('.log'))
      .sort();
  assert.deepEqual(logs(), ids.map((id) => `${id}.log`).sort(), 'every running instance has its log');
  await supervisor.stop(ids[0]);
  assert.deepEqual(logs(), ids.map((id) => `${id}.log`).sort(), 'one finished log is within keepInstanceLogs');
  await supervisor.stop(ids[1]);
  assert.deepEqual(logs(), [`${ids[1]}.log`, `${ids[2]}.log`].sort(), 'the older finished log is gone, the running one stays');
  await supervisor.stop(ids[2]);
  assert.deepEqual(logs(), [`${ids[2]}.log`], 'the newest finished log is kept');
});
