// The data steps inside a real deploy: checks, backup, migrations, validation, against real PostgreSQL.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { Sandbox } from './support/sandbox.ts';
import { createScratchDatabase } from './support/scratch-database.ts';

describe('deploy pipeline with checks, backup, migrations and validation', () => {
  const box = new Sandbox('cutover-data-');
  let db: Awaited<ReturnType<typeof createScratchDatabase>>;
  let closedPort = 0;

  function releaseWithMigrations(name: string, migrations: Record<string, string>) {
    box.release(name, { bootDelayMs: 100 });
    const dir = join(box.dir, 'releases', name, 'migrations');
    mkdirSync(dir, { recursive: true });
    for (const [file, sql] of Object.entries(migrations)) writeFileSync(join(dir, file), sql);
  }

  async function rows(sql: string): Promise<Record<string, unknown>[]> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }

  const first =
    "-- migrate:up\nCREATE TABLE widgets (id bigint PRIMARY KEY, name text NOT NULL);\nINSERT INTO widgets VALUES (1, 'one');\n-- migrate:down\nDROP TABLE widgets;\n";
  const second = '-- migrate:up\nALTER TABLE widgets ADD COLUMN colour text;\n-- migrate:down\nALTER TABLE widgets DROP COLUMN colour;\n';
  const broken =
    '-- migrate:up\nALTER TABLE widgets ADD COLUMN size integer;\nSELECT no_such_function();\n-- migrate:down\nALTER TABLE widgets DROP COLUMN size;\n';

  before(async () => {
    db = await createScratchDatabase('cutover_e2e_data');
    const { freePort } = await import('./support/sandbox.ts');
    closedPort = await freePort();
    releaseWithMigrations('v1', { '0001_widgets.sql': first });
    releaseWithMigrations('v2', { '0001_widgets.sql': first, '0002_colour.sql': second });
    releaseWithMigrations('v3', { '0001_widgets.sql': first, '0002_colour.sql': second, '0003_broken.sql': broken });
    await box.writeConfig(
      (port) => `service: data
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 1
    health: { type: http, path: /up, startTimeoutMs: 5s }
env: { DATABASE_URL: '${db.url}' }
migrations: { directory: '{releaseDir}/migrations', databaseUrlEnv: DATABASE_URL }
backup: {}
checks:
  - kind: postgres
    urlEnv: DATABASE_URL
  - kind: disk
    minFreePercent: 1
  - kind: current-release-healthy
  - kind: deploy-lock-free
  - kind: tcp
    name: queue
    host: 127.0.0.1
    port: ${closedPort}
validation:
  http:
    - path: /
      bodyIncludes: version
rollout: { strategy: rolling, healthTimeoutMs: 5s }
agent: { httpPort: ${port} }
`,
    );
  });

  after(async () => {
    await box.cleanup();
    await db?.drop();
  });

  test('a failing pre-deploy check refuses the deploy before anything changes', async () => {
    const up = await box.cli(['up']);
    assert.equal(up.code, 0, up.stderr);
    const result = await box.cli(['deploy', 'v1', '--json']);
    assert.equal(result.code, 1, result.stdout);
    const record = JSON.parse(result.stdout).deployment;
    assert.match(record.reason, /pre-deploy checks failed/);
    const checks = record.steps.find((s: { name: string }) => s.name === 'pre-deploy checks');
    const queue = checks.values.checks.find((c: { name: string }) => c.name === 'queue');
    assert.equal(queue.outcome, 'fail');
    assert.equal(
      record.steps.find((s: { name: string }) => s.name === 'migrate'),
      undefined,
      'migrations never started',
    );
    assert.deepEqual(await rows(`SELECT to_regclass('widgets') AS t`), [{ t: null }]);
  });

  test('skipping a check needs a reason and is recorded; backup precedes migrations; the record keeps the restore command', async () => {
    const noReason = await box.cli(['deploy', 'v1', '--skip-check', 'queue']);
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /--reason/);
    const result = await box.cli(['deploy', 'v1', '--skip-check', 'queue', '--reason', 'queue not used by v1', '--json']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const record = JSON.parse(result.stdout).deployment;
    const names = record.steps.map((s: { name: string }) => s.name);
    assert.ok(names.indexOf('backup') < names.indexOf('migrate'), names.join(' → '));
    const queue = record.steps[names.indexOf('pre-deploy checks')].values.checks.find((c: { name: string }) => c.name === 'queue');
    assert.equal(queue.outcome, 'skipped');
    assert.match(queue.message, /queue not used by v1/);
    assert.match(record.facts.restoreCommand, /^cutover db restore \S+ --config /);
    assert.equal(record.steps[names.indexOf('validation')].outcome, 'ok');
    assert.deepEqual(await rows('SELECT id, name FROM widgets'), [{ id: '1', name: 'one' }]);
  });

  test('a failed migration leaves the old release serving and untouched', async () => {
    const skip = ['--skip-check', 'queue', '--reason', 'not used'];
    const good = await box.cli(['deploy', 'v2', ...skip, '--json']);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    const bad = await box.cli(['deploy', 'v3', ...skip, '--json']);
    assert.equal(bad.code, 1, bad.stdout);
    const record = JSON.parse(bad.stdout).deployment;
    assert.match(record.reason, /^migrate failed/);
    assert.equal(
      record.steps.find((s: { name: string }) => s.name === 'rollout'),
      undefined,
      'no instance of v3 was started',
    );
    const response = await fetch(`${box.url}/`);
    assert.equal(response.headers.get('x-release'), 'v2');
    const columns = await rows(`SELECT column_name FROM information_schema.columns WHERE table_name = 'widgets' ORDER BY column_name`);
    assert.deepEqual(
      columns.map((c) => c.column_name),
      ['colour', 'id', 'name'],
      'the failed migration was rolled back with its transaction',
    );
  });
});
