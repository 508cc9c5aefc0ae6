import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { planInstanceLogPruning, pruneInstanceLogs } from '../../../src/agent/supervisor/prune-instance-logs.ts';

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
