import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ConfigProblem, parseConfigText } from '../../src/config/load-config.ts';
import { CutoverError } from '../../src/errors/cutover-error.ts';

const BASE = 'service: shop\nprocesses:\n  web:\n    command: node server.js\n';

function problemsOf(text: string): Pick<ConfigProblem, 'path' | 'message'>[] {
  try {
    parseConfigText(BASE + text, '/tmp/cutover.yml');
  } catch (error) {
    assert.ok(error instanceof CutoverError);
    return (error.details.problems as ConfigProblem[]).map(({ path, message }) => ({ path, message }));
  }
  assert.fail('expected the config to be rejected');
}

test('a task gets its defaults: timeout 1 h, overlap skip, no retries, no catch-up', () => {
  const { config } = parseConfigText(
    `${BASE}tasks:\n  bloom-sync:\n    schedule: "0 2 * * *"\n    timeZone: Europe/Paris\n    command: npm run bloom:sync\n    timeoutMs: 10m\n`,
    '/tmp/cutover.yml',
  );
  assert.deepEqual(config.tasks['bloom-sync'], {
    schedule: '0 2 * * *',
    timeZone: 'Europe/Paris',
    command: 'npm run bloom:sync',
    kind: 'command',
    timeoutMs: 600_000,
    overlap: 'skip',
    retries: 0,
    retryDelayMs: 30_000,
    catchUp: 'none',
  });
  assert.deepEqual(parseConfigText(BASE, '/tmp/cutover.yml').config.tasks, {});
});

test('each bad task value is reported with its path', () => {
  const problems = problemsOf(`tasks:
  a:
    schedule: "* * *"
    command: x
  b:
    schedule: "61 * * * *"
    timeZone: Mars/Olympus
    command: [ ]
    overlap: wait
  c:
    schedule: "@daily"
`);
  const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
  assert.match(byPath['tasks.a.schedule'], /5 or 6 fields/);
  assert.match(byPath['tasks.b.schedule'], /not a valid cron expression/);
  assert.match(byPath['tasks.b.timeZone'], /IANA time zone/);
  assert.ok(byPath['tasks.b.command']);
  assert.ok(byPath['tasks.b.overlap']);
  assert.match(byPath['tasks.c.command'], /is required \(or set kind: backup\)/);
});

test('a task name must be lowercase', () => {
  assert.deepEqual(problemsOf('tasks:\n  Bad_Name:\n    schedule: "@daily"\n    command: x\n'), [
    { path: 'tasks.Bad_Name', message: 'a task name must be lowercase letters, digits and dashes, starting with a letter' },
  ]);
});

test('a backup task needs a backup section; a processType must exist', () => {
  assert.deepEqual(problemsOf('tasks:\n  d:\n    schedule: "@daily"\n    kind: backup\n    processType: worker\n'), [
    { path: 'tasks.d.kind', message: 'kind: backup needs a backup: section (where and how to back up)' },
    { path: 'tasks.d.processType', message: 'is not a process type of this service (known: web)' },
  ]);
});

test('an argv command is kept as an array', () => {
  const { config } = parseConfigText(
    `${BASE}tasks:\n  a:\n    schedule: "*/10 * * * * *"\n    command: [node, scripts/sync.js, --all]\n`,
    '/tmp/cutover.yml',
  );
  assert.deepEqual(config.tasks.a.command, ['node', 'scripts/sync.js', '--all']);
});

test('a base backup task needs backup.pitr; method is only for kind: backup', () => {
  assert.deepEqual(problemsOf('backup: {}\ntasks:\n  b:\n    schedule: "0 2 * * *"\n    kind: backup\n    method: base\n'), [
    { path: 'tasks.b.method', message: 'method: base needs a backup.pitr section (the WAL archive the base backups go with)' },
  ]);
  assert.deepEqual(problemsOf('tasks:\n  c:\n    schedule: "@daily"\n    command: x\n    method: dump\n'), [
    { path: 'tasks.c.method', message: 'is only for kind: backup' },
  ]);
  const { config } = parseConfigText(
    `${BASE}backup:\n  pitr:\n    archiveDir: /var/lib/postgresql/wal-archive\ntasks:\n  b:\n    schedule: "0 2 * * *"\n    kind: backup\n    method: base\n`,
    '/tmp/cutover.yml',
  );
  assert.equal(config.tasks.b.method, 'base');
  assert.deepEqual(config.backup?.pitr, {
    archiveDir: '/var/lib/postgresql/wal-archive',
    keepCount: 7,
    keepMaxAgeMs: 2_592_000_000,
    osUser: 'postgres',
  });
});

test('backup.pitr: archiveDir must be absolute, unknown keys are refused with their path', () => {
  assert.deepEqual(problemsOf('backup:\n  pitr:\n    archiveDir: wal\n    keepCount: 0\n    walDir: x\n'), [
    {
      path: 'backup.pitr.archiveDir',
      message: "must be an absolute path (the server's archive_command writes there, whatever its working directory)",
    },
    { path: 'backup.pitr.keepCount', message: 'must be at least 1 (got 0)' },
    { path: 'backup.pitr.walDir', message: 'unknown key "walDir"' },
  ]);
});
