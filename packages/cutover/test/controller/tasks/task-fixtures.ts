import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../../src/config/load-config.ts';
import type { TasksConfig } from '../../../src/config/schema-tasks.ts';
import { tasksSectionSchema } from '../../../src/config/schema-tasks.ts';
import type { ServingRelease } from '../../../src/controller/tasks/serving-release.ts';
import { createTaskExecutor } from '../../../src/controller/tasks/task-executor.ts';
import { SqliteTaskRunStore } from '../../../src/controller/tasks/task-run-store.ts';

/** A release directory, a task store in a fresh cutover.db, and an executor that runs there. */
export function taskFixture() {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-tasks-'));
  const store = new SqliteTaskRunStore(join(dir, 'cutover.db'));
  const serving: ServingRelease = {
    release: 'v1',
    dir,
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GREETING: 'hello' },
    secrets: {},
  };
  const loaded = parseConfigText('service: shop\nprocesses:\n  web:\n    command: node server.js\n', join(dir, 'cutover.yml'));
  const execute = createTaskExecutor({ loaded, servingRelease: () => serving });
  return { dir, store, serving, execute };
}

export function parseTasks(input: Record<string, unknown>): TasksConfig {
  return tasksSectionSchema.tasks.parse(input);
}
