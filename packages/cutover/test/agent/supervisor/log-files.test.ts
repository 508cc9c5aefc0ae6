import assert from 'node:assert/strict';
import { appendFileSync, existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { reservePortRange } from '@cutover/service-kit/testing';
import { followLog, readLogTail } from '../../../src/agent/supervisor/log-reader.ts';
import { rotateLogIfLarger } from '../../../src/agent/supervisor/log-rotation.ts';
import { ProcessSupervisor } from '../../../src/agent/supervisor/process-supervisor.ts';
import { killAll, makeSandbox, type Sandbox, spec, trackPids } from './test-apps.ts';

function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (predicate()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

describe('log rotation and reading', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cutover-logs-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('rotateLogIfLarger copies to .1, shifts older files, keeps keepFiles and truncates in place', async () => {
    const file = join(dir, 'rotate.log');
    writeFileSync(file, 'a'.repeat(10));
    assert.equal(rotateLogIfLarger(file, 10, 2), false, 'not larger than maxBytes');
    for (const content of ['first\n', 'second\n', 'third\n']) {
      writeFileSync(file, content.repeat(5));
      const inode = statSync(file).ino;
      assert.equal(rotateLogIfLarger(file, 10, 2), true);
      assert.equal(statSync(file).ino, inode, 'the live file keeps its inode so the app keeps writing to it');
      assert.equal(statSync(file).size, 0);
    }
    assert.equal(await readFile(`${file}.1`, 'utf8'), 'third\n'.repeat(5));
    assert.equal(await readFile(`${file}.2`, 'utf8'), 'second\n'.repeat(5));
    assert.equal(existsSync(`${file}.3`), false);
    assert.equal(rotateLogIfLarger(join(dir, 'missing.log'), 10, 2), false);
  });

  test('readLogTail returns the last lines, reaching into .1 after a rotation; a missing log has none', async () => {
    const file = join(dir, 'tail.log');
    writeFileSync(file, Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    assert.deepEqual(await readLogTail(file, 3), ['line 4997', 'line 4998', 'line 4999']);
    assert.equal((await readLogTail(file, 4000)).length, 4000, 'spans several read chunks');
    assert.equal((await readLogTail(file, 4000))[0], 'line 1000');
    rotateLogIfLarger(file, 10, 1);
    appendFileSync(file, 'new 0\nnew 1\npartial');
    assert.deepEqual(await readLogTail(file, 5), ['line 4998', 'line 4999', 'new 0', 'new 1', 'partial']);
    assert.deepEqual(await readLogTail(join(dir, 'nope.log'), 5), []);
    assert.deepEqual(await readLogTail(file, 0), []);
  });

  test('followLog delivers new lines across copy-truncate rotations and a rename, without losing or repeating any', async () => {
    const file = join(dir, 'follow.log');
    writeFileSync(file, 'old line before following\n');
    const seen: string[] = [];
    const controller = new AbortController();
    const following = followLog(file, (line) => seen.push(line), controller.signal, { pollIntervalMs: 20 });
    try {
      let n = 0;
      const write = (count: number): void => {
        for (let i = 0; i < count; i++) appendFileSync(file, `msg ${n++}\n`);
      };
      // Wait until the follower reads (it starts at the end of the file): a line it sees proves it,
      // and the "go" line after the last "ready" one it may still deliver clears the slate.
      await waitUntil(
        () => {
          if (seen.includes('ready')) return true;
          appendFileSync(file, 'ready\n');
          return false;
        },
        30_000,
        'the follower to start',
      );
      appendFileSync(file, 'go\n');
      await waitUntil(() => seen.includes('go'), 30_000, 'the go line');
      seen.length = 0;
      write(3);
      await waitUntil(() => seen.length === 3, 10_000, 'first lines');
      // Lines written after the last poll and before the rotation are only in .1 now.
      write(2);
      assert.equal(rotateLogIfLarger(file, 1, 3), true);
      write(2);
      await waitUntil(() => seen.length === 7, 10_000, 'lines around the first rotation');
      // Rotation, then the live file grows past the old read offset before the next poll.
      write(1);
      rotateLogIfLarger(file, 1, 3);
      write(40);
      await waitUntil(() => seen.length === 48, 10_000, 'lines around the second rotation');
      // A file replaced by rename: the rest of the old one, then the new one from its start.
      write(1);
      renameSync(file, `${file}.moved`);
      writeFileSync(file, '');
      write(2);
      await waitUntil(() => seen.length === 51, 10_000, 'lines around the rename');
      assert.deepEqual(
        seen,
        Array.from({ length: 51 }, (_, i) => `msg ${i}`),
      );
    } finally {
      controller.abort();
      await following;
    }
  });

  test('followLog waits for a log that does not exist yet and reads it from the start', async () => {
    const file = join(dir, 'later.log');
    const seen: string[] = [];
    const controller = new AbortController();
    const following = followLog(file, (line) => seen.push(line), controller.signal, { pollIntervalMs: 20 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 60));
      writeFileSync(file, 'hello\nwor');
      await waitUntil(() => seen.length === 1, 10_000, 'first line');
      appendFileSync(file, 'ld\n');
      await waitUntil(() => seen.length === 2, 10_000, 'joined partial line');
      assert.deepEqual(seen, ['hello', 'world']);
    } finally {
      controller.abort();
      await following;
    }
  });
});

describe('instance logs through the supervisor', () => {
  let box: Sandbox;
  let supervisor: ProcessSupervisor;
  const pids = new Set<number>();

  before(async () => {
    box = await makeSandbox();
    supervisor = new ProcessSupervisor({
      logDir: box.logDir,
      portRange: await reservePortRange(),
      logMaxBytes: 3000,
      logKeepFiles: 2,
      logCheckIntervalMs: 50,
    });
    trackPids(supervisor, pids);
  });
  after(async () => {
    await supervisor.shutdown({ stopInstances: true }).catch(() => undefined);
    killAll(pids);
    await box.cleanup();
  });

  test('stdout and stderr land in <logDir>/<service>/<id>.log, with supervisor notes', async () => {
    const s = spec(box, {
      appEnv: { CRASH_ALWAYS: '1', CRASH_AFTER_MS: '200' },
      restart: { maxRestarts: 0, backoffMs: 10, maxBackoffMs: 10, windowMs: 1000 },
    });
    const info = await supervisor.start(s);
    pids.add(info.pid!);
    assert.equal(info.logFile, join(box.logDir, 'shop', `${s.id}.log`));
    await supervisor.waitHealthy(s.id, 20_000);
    await waitUntil(() => supervisor.get(s.id)?.state === 'failed', 20_000, 'failure');
    const log = await readFile(info.logFile, 'utf8');
    assert.match(log, new RegExp(`\\[cutover [^\\]]+\\] started ${s.id} as pid ${info.pid} on port ${info.port}`));
    assert.match(log, new RegExp(`boot ${s.id} pid ${info.pid} port ${info.port}`), 'stdout');
    assert.match(log, /^boom$/m, 'stderr');
    assert.match(log, /exited \(code 1\)/);
  });

  test('a busy log is rotated by the supervisor and followLog keeps up across rotations', async () => {
    const s = spec(box, { appEnv: { TICK_LOG_MS: '5' } });
    const seen: number[] = [];
    const info = await supervisor.start(s);
    pids.add(info.pid!);
    const controller = new AbortController();
    const following = followLog(
      info.logFile,
      (line) => {
        const match = /^tick (\d+) /.exec(line);
        if (match) seen.push(Number(match[1]));
      },
      controller.signal,
      { pollIntervalMs: 20, fromStart: true },
    );
    try {
      await waitUntil(() => existsSync(`${info.logFile}.2`), 20_000, 'two rotations');
      await waitUntil(() => seen.length >= 200, 20_000, '200 ticks followed');
    } finally {
      controller.abort();
      await following;
    }
    await supervisor.stop(s.id);
    assert.equal(existsSync(`${info.logFile}.3`), false, 'only logKeepFiles rotated files are kept');
    assert.ok(statSync(info.logFile).size < 3000 * 20, 'the live file stays bounded');
    for (let i = 1; i < seen.length; i++)
      assert.ok(seen[i] > seen[i - 1], `ticks in order, no repeats (at ${i}: ${seen[i - 1]}, ${seen[i]})`);
    // Copy-and-truncate may drop the few lines written between the copy and the truncate; nothing more.
    const missing = seen.at(-1)! - seen[0] + 1 - seen.length;
    assert.ok(missing <= seen.length / 10, `${missing} of ${seen.length} ticks lost`);
  });
});
