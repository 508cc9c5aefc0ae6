import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoadedConfig } from '../../src/config/load-config.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { buildPipeline, type PipelineDeps } from '../../src/controller/pipeline.ts';
import { backupStep } from '../../src/database/backup/backup-step.ts';
import { migrateStep } from '../../src/database/migrations/migrate-step.ts';
import type { StepContext } from '../../src/pipeline/pipeline-step.ts';

const loaded: LoadedConfig = parseConfigText(
  'service: shop\nrelease: { source: directory, path: "releases/{release}" }\nprocesses:\n  web: { command: node server.js }\n',
  '/nonexistent/cutover.yml',
);
const deps = {} as PipelineDeps;
const ctx = { loaded, deploymentId: '1', release: 'v2', previousRelease: 'v1', log() {} } as unknown as StepContext;

test('a backup or migrate step without its section gives, without loading its module, what the step itself gives', async () => {
  const steps = new Map(buildPipeline(loaded, deps).beforeRollout.map((step) => [step.name, step]));
  assert.deepEqual(await steps.get('backup')?.run(ctx), await backupStep(ctx));
  assert.deepEqual(await steps.get('migrate')?.run(ctx), await migrateStep(ctx));
});
