import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));

function cli(...args: string[]) {
  const cwd = mkdtempSync(join(tmpdir(), 'cutover-words-'));
  try {
    return spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

test('a mistyped command names the command it is nearest to; an unrelated word names none', () => {
  const typo = cli('deplyo', 'v1');
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /CUT_ERR_CLI_UNKNOWN_COMMAND: unknown command "deplyo" \(did you mean "deploy"\?\)/);
  const other = cli('frobnicate');
  assert.equal(other.status, 2);
  assert.match(other.stderr, /unknown command "frobnicate"\n/);
});

test('a mistyped option names the option it is nearest to, in human and --json output; nothing runs', () => {
  const typo = cli('deploy', 'v1', '--detatch');
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /CUT_ERR_CLI_BAD_ARGUMENT: unknown option "--detatch" for "cutover deploy" \(did you mean "--detach"\?\)/);
  assert.match(typo.stderr, /cutover deploy --help/);
  const json = cli('status', '--jsno', '--json');
  assert.equal(json.status, 2);
  const error = JSON.parse(json.stdout).error;
  assert.equal(error.code, 'CUT_ERR_CLI_BAD_ARGUMENT');
  assert.match(error.message, /unknown option "--jsno" for "cutover status" \(did you mean "--json"\?\)/);
  const short = cli('status', '-q');
  assert.match(short.stderr, /unknown option "-q" for "cutover status"; a value starting with "-" goes after "--"/);
});
