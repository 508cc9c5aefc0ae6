import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));

/** An older Node.js on the machine, if there is one (Debian's is 20 here); PATH's first node is usually ours. */
function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(candidate)) continue;
    const version = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    if (Number(version.split('.')[0]) < 24) return candidate;
  }
  return undefined;
}

const older = olderNode();

test('an older Node.js gets a coded error and exit 2, not a stack trace', {
  skip: older ? false : 'no Node.js older than 24 installed',
}, () => {
  const run = spawnSync(older as string, [BIN, 'status'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /^error CUT_ERR_CLI_NODE_TOO_OLD: cutover needs Node\.js 24 or newer; this is Node\.js \d+\./);
  assert.match(run.stderr, /next: {2}install Node\.js 24/);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack frames');
});

test('the running Node.js passes the check', () => {
  const run = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /CUT_ERR_CLI_NODE_TOO_OLD/);
});
