import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMANDS } from '../../packages/cutover/src/cli/commands.ts';

test('the command index matches each verb module (name and summary), and every verb has a usage line', async () => {
  for (const entry of COMMANDS) {
    const command = await entry.load();
    assert.equal(command.name, entry.name);
    assert.equal(command.summary, entry.summary, `summary of ${entry.name} in commands.ts`);
    assert.match(command.usage, new RegExp(`^cutover ${entry.name}\\b`));
  }
  assert.equal(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length);
});
