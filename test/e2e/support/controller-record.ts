import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type DeploymentJson, parseRecord, type RecordedEvent, sleep } from './rollout-helpers.ts';
import type { Sandbox } from './sandbox.ts';

/** The controller's record of one deployment, read straight from cutover.db (what history prints). */
export function recordOf(box: Sandbox, id: number): { state: string; facts: Record<string, unknown>; events: RecordedEvent[] } {
  const db = new DatabaseSync(join(box.dir, '.cutover/cutover.db'), { readOnly: true });
  try {
    const row = db.prepare('SELECT state, facts_json FROM deployments WHERE id = ?').get(id) as
      | { state: string; facts_json: string }
      | undefined;
    if (!row) return { state: 'absent', facts: {}, events: [] };
    const events = db
      .prepare('SELECT at, type, data_json FROM events WHERE deployment_id = ? ORDER BY id')
      .all(id)
      .map((e) => ({ at: e.at as number, type: e.type as string, data: JSON.parse(e.data_json as string) as Record<string, unknown> }));
    return { state: row.state, facts: JSON.parse(row.facts_json) as Record<string, unknown>, events };
  } finally {
    db.close();
  }
}

/** Polls `probe` every 50 ms until it gives a value (a condition, never a fixed sleep). */
export async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The pid of the controller the agent runs for this sandbox (from its pid file). */
export function controllerPid(box: Sandbox): number | null {
  try {
    return (JSON.parse(readFileSync(join(box.dir, '.cutover/controller.pid'), 'utf8')) as { pid: number }).pid;
  } catch {
    return null;
  }
}

/** `cutover deploy <release> --detach --json`: the id of the accepted deployment. */
export async function detach(box: Sandbox, release: string): Promise<number> {
  const result = await box.cli(['deploy', release, '--detach', '--json']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return (JSON.parse(result.stdout) as { deploymentId: number }).deploymentId;
}

/** `cutover watch <id> --json` to the end: its exit code and the record it printed. */
export async function watchToEnd(box: Sandbox, id: number): Promise<{ code: number | null; record: DeploymentJson }> {
  const result = await box.cli(['watch', String(id), '--json'], { timeoutMs: 180_000 });
  const record = parseRecord(result.stdout);
  assert.ok(record, result.stdout + result.stderr);
  return { code: result.code, record };
}
