// cutover's migration linter passes every migration of the service (with the reasons recorded in
// the files for the findings they accept), as a deploy requires before it applies them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrate } from './support/test-database.ts';

test('cutover migrate lint --all: no blocking finding', async () => {
  const { stdout } = await migrate('postgres://postgres@127.0.0.1:5432/unused', ['lint', '--all']);
  assert.match(stdout, /7 migration\(s\) linted: 0 blocking/);
});
