import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DeploymentSignals } from '../../src/store/deployment-signals.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';

test('signals: sent by one connection, read and answered through another (two processes share the file)', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'cutover-signals-')), 'deployments.db');
  const cli = new DeploymentStore(file);
  const runner = new DeploymentStore(file);
  const sent = new DeploymentSignals(cli.db);
  const seen = new DeploymentSignals(runner.db);
  const promote = sent.send(7, 'promote', 'ana');
  const abort = sent.send(7, 'abort', 'bo');
  sent.send(8, 'abort', 'other deployment');
  assert.deepEqual(
    seen.after(7, 0).map((s) => [s.id, s.kind, s.actor, s.outcome]),
    [
      [promote, 'promote', 'ana', null],
      [abort, 'abort', 'bo', null],
    ],
  );
  assert.deepEqual(
    seen.after(7, promote).map((s) => s.id),
    [abort],
  );
  seen.handle(promote, 'applied', 'ended the pause of step 2');
  seen.handle(promote, 'ignored', 'a second answer does not overwrite the first');
  const answered = sent.get(promote);
  assert.equal(answered?.outcome, 'applied');
  assert.equal(answered?.note, 'ended the pause of step 2');
  assert.ok((answered?.handledAt ?? 0) >= (answered?.sentAt ?? Infinity));
  assert.equal(seen.handleAll(7, 'ignored', 'the rollout had finished'), 1);
  assert.equal(sent.get(abort)?.outcome, 'ignored');
  assert.equal(sent.get(promote)?.outcome, 'applied');
  cli.close();
  runner.close();
});
