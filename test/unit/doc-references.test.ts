// No file points at a document that does not exist: relative Markdown links in every .md file, and the
// .md files that comments in cutover.yml files and scripts name.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * Documents named before they are written, each with where it is being written. Keep this short: an
 * entry is a promise to a reader that someone is keeping.
 */
const PENDING: Record<string, string> = {};

const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');

function missingTargets(file: string, targets: string[]): string[] {
  return targets
    .map((target) => target.split('#')[0])
    .filter((target) => target !== '' && !/^[a-z]+:/i.test(target) && !(target in PENDING))
    .filter((target) => !existsSync(join(ROOT, dirname(file), target)) && !existsSync(join(ROOT, target)))
    .map((target) => `${file} → ${target}`);
}

test('relative links in Markdown files point at files that exist', () => {
  const missing = tracked
    .filter((file) => file.endsWith('.md') && !file.includes('node_modules/') && existsSync(join(ROOT, file)))
    .flatMap((file) => {
      const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
      return missingTargets(
        file,
        [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]),
      );
    });
  assert.deepEqual(missing, []);
});

test('documents named in cutover.yml files and scripts exist', () => {
  const missing = tracked
    .filter((file) => /(cutover[^/]*\.yml|\.sh)$/.test(file) && existsSync(join(ROOT, file)))
    .flatMap((file) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      return missingTargets(
        file,
        [...text.matchAll(/(?:^|[\s(`'"])((?:\.{1,2}\/|[\w-]+\/)*[\w.-]+\.md)\b/gm)].map((m) => m[1]),
      );
    });
  assert.deepEqual(missing, []);
});
