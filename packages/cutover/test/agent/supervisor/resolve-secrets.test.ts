import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { resolveSecrets } from '../../../src/agent/supervisor/resolve-secrets.ts';

const dir = mkdtempSync(join(tmpdir(), 'cutover-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

test('a file secret is its content less one trailing newline; a command secret is its stdout', async () => {
  writeFileSync(join(dir, 'key'), 'from-file\n');
  writeFileSync(join(dir, 'crlf'), 'two\nlines\r\n');
  const result = await resolveSecrets(
    {
      KEY: { file: join(dir, 'key') },
      CRLF: { file: join(dir, 'crlf') },
      CMD: { command: 'printf "%s\\n" "$GREETING-from-command"', cwd: dir, timeoutMs: 10_000 },
      CWD: { command: 'cat key', cwd: dir, timeoutMs: 10_000 },
    },
    { ...env, GREETING: 'hello' },
  );
  assert.deepEqual(result, { ok: true, env: { KEY: 'from-file', CRLF: 'two\nlines', CMD: 'hello-from-command', CWD: 'from-file' } });
});

test('no secrets: nothing to read', async () => {
  assert.deepEqual(await resolveSecrets(undefined, env), { ok: true, env: {} });
});

test('a missing file, a failing command and a hung command are failures that name the secret, never a value', async () => {
  const missing = await resolveSecrets({ KEY: { file: join(dir, 'nope') } }, env);
  assert.deepEqual(missing, { ok: false, failure: `secret KEY: cannot read ${join(dir, 'nope')} (ENOENT)` });

  const failing = await resolveSecrets(
    { DB: { command: 'echo "$VALUE"; echo "not logged in" >&2; exit 3', cwd: dir, timeoutMs: 10_000 } },
    { ...env, VALUE: 'leaked-value' },
  );
  assert.equal(failing.ok, false);
  assert.match((failing as { failure: string }).failure, /^secret DB: ".*" exited with 3: not logged in$/);
  assert.doesNotMatch((failing as { failure: string }).failure, /leaked-value/, 'stdout (the value) is never quoted');

  const started = Date.now();
  const hung = await resolveSecrets({ SLOW: { command: 'sleep 30', cwd: dir, timeoutMs: 300 } }, env);
  assert.deepEqual(hung, { ok: false, failure: 'secret SLOW: "sleep 30" timed out after 300 ms' });
  assert.ok(Date.now() - started < 20_000, 'the command is killed, not waited for');
});
