import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { planReleasePruning, pruneReleases } from '../../src/releases/prune-releases.ts';

test('planReleasePruning keeps the newest `keep` copies and every protected one', () => {
  const copies = [
    { name: 'v1', builtAtMs: 1 },
    { name: 'v4', builtAtMs: 4 },
    { name: 'v2', builtAtMs: 2 },
    { name: 'v3', builtAtMs: 3 },
    { name: 'v5', builtAtMs: 5 },
  ];
  assert.deepEqual(planReleasePruning(copies, 2, new Set()), ['v3', 'v2', 'v1']);
  assert.deepEqual(planReleasePruning(copies, 2, new Set(['v2'])), ['v3', 'v1']);
  assert.deepEqual(planReleasePruning(copies, 5, new Set()), []);
});

test('pruneReleases deletes old copies with their marker and previous copy, and leaves the rest', (t) => {
  const releasesDir = mkdtempSync(join(tmpdir(), 'cutover-prune-'));
  t.after(() => rmSync(releasesDir, { recursive: true, force: true }));
  const parent = join(releasesDir, 'shop');
  for (const [index, name] of ['v1', 'v2', 'v3', 'v4'].entries()) {
    mkdirSync(join(parent, name, 'src'), { recursive: true });
    writeFileSync(join(parent, name, 'src', 'app.js'), '');
    writeFileSync(join(parent, `.${name}.release.json`), JSON.stringify({ source: 'build', builtAt: 1000 + index }));
  }
  mkdirSync(join(parent, '.v1.previous'));
  const removed = pruneReleases(releasesDir, 'shop', 2, new Set(['v1']));
  assert.deepEqual(removed, ['v2']);
  assert.deepEqual(readdirSync(parent).sort(), [
    '.v1.previous',
    '.v1.release.json',
    '.v3.release.json',
    '.v4.release.json',
    'v1',
    'v3',
    'v4',
  ]);
  assert.deepEqual(pruneReleases(releasesDir, 'shop', 1, new Set()), ['v3', 'v1']);
  assert.deepEqual(readdirSync(parent).sort(), ['.v4.release.json', 'v4']);
  assert.deepEqual(pruneReleases(releasesDir, 'other', 1, new Set()), [], 'a service without copies');
});
