import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTransactionUnits, selectDown, selectPendingUp } from '../../../src/database/migrations/build-migration-plan.ts';
import { buildMigrationStatus } from '../../../src/database/migrations/build-migration-status.ts';
import { classifyStatement } from '../../../src/database/migrations/classify-statement.ts';
import type { HistoryRow } from '../../../src/database/migrations/history-row.ts';
import { lockRetryDelayMs } from '../../../src/database/migrations/lock-retry-backoff.ts';
import { parseMigrationFile } from '../../../src/database/migrations/migration-file.ts';
import { splitStatements } from '../../../src/database/migrations/sql-splitter.ts';

const PG15 = 150_000;
const classOf = (sql: string, version = PG15) => {
  const c = classifyStatement(splitStatements(sql)[0], version);
  return [c.command, c.lockLevel, c.transactional];
};

describe('classifyStatement', () => {
  const cases: [string, string, string, boolean][] = [
    ['create index i on t (a)', 'CREATE INDEX', 'SHARE', true],
    ['create unique index concurrently if not exists i on s.t (a)', 'CREATE INDEX CONCURRENTLY', 'SHARE UPDATE EXCLUSIVE', false],
    ['drop index i', 'DROP INDEX', 'ACCESS EXCLUSIVE', true],
    ['drop index concurrently if exists i', 'DROP INDEX CONCURRENTLY', 'SHARE UPDATE EXCLUSIVE', false],
    ['reindex index concurrently i', 'REINDEX CONCURRENTLY', 'SHARE UPDATE EXCLUSIVE', false],
    ['alter table t add column c text', 'ALTER TABLE', 'ACCESS EXCLUSIVE', true],
    ['alter table t add constraint f foreign key (a) references u (id) not valid', 'ALTER TABLE', 'SHARE ROW EXCLUSIVE', true],
    ['alter table t validate constraint f', 'ALTER TABLE', 'SHARE UPDATE EXCLUSIVE', true],
    ['alter table t detach partition p concurrently', 'ALTER TABLE', 'SHARE UPDATE EXCLUSIVE', false],
    ['alter table t set (fillfactor = 70), validate constraint c', 'ALTER TABLE', 'SHARE UPDATE EXCLUSIVE', true],
    ['create table t (id bigint references u (id))', 'CREATE TABLE', 'SHARE ROW EXCLUSIVE', true],
    ['create trigger tr before insert on t for each row execute function f()', 'CREATE TRIGGER', 'SHARE ROW EXCLUSIVE', true],
    ['update t set a = 1', 'UPDATE', 'ROW EXCLUSIVE', true],
    ['vacuum full t', 'VACUUM FULL', 'ACCESS EXCLUSIVE', false],
    ['vacuum (analyze) t', 'VACUUM', 'SHARE UPDATE EXCLUSIVE', false],
    ['lock table t in share row exclusive mode', 'LOCK', 'SHARE ROW EXCLUSIVE', true],
    ['refresh materialized view concurrently mv', 'REFRESH MATERIALIZED VIEW CONCURRENTLY', 'EXCLUSIVE', true],
    ["alter type mood add value 'meh'", 'ALTER TYPE ADD VALUE', 'NONE', true],
    ['begin', 'BEGIN', 'NONE', true],
  ];
  for (const [sql, command, lock, transactional] of cases) {
    test(sql, () => assert.deepEqual(classOf(sql), [command, lock, transactional]));
  }
  test('ALTER TYPE ... ADD VALUE runs outside a transaction before PostgreSQL 12', () => {
    assert.deepEqual(classOf("alter type mood add value 'meh'", 110_000), ['ALTER TYPE ADD VALUE', 'NONE', false]);
  });
  test('the CONCURRENTLY index name takes the table schema', () => {
    const c = classifyStatement(splitStatements('create index concurrently "Idx" on app.t (a)')[0], PG15);
    assert.equal(c.concurrentIndexName, 'app."Idx"');
  });
});

describe('buildTransactionUnits', () => {
  const statements = splitStatements(
    'alter table t add a int;\nalter table t add b int;\ncreate index concurrently i on t (a);\nupdate t set a = 1;',
  );
  test('groups transactional statements and isolates non-transactional ones', () => {
    assert.deepEqual(
      buildTransactionUnits(statements, PG15, false).map((u) => [u.transactional, u.statements.map((s) => s.line)]),
      [
        [true, [1, 2]],
        [false, [3]],
        [true, [4]],
      ],
    );
  });
  test('no_transaction or explicit BEGIN/COMMIT run every statement alone', () => {
    assert.deepEqual(
      buildTransactionUnits(statements, PG15, true).map((u) => u.transactional),
      [false, false, false, false],
    );
    const own = splitStatements('begin; update t set a = 1; commit;');
    assert.deepEqual(
      buildTransactionUnits(own, PG15, false).map((u) => u.transactional),
      [false, false, false],
    );
  });
});

const file = (name: string, text = 'select 1;') => parseMigrationFile(name, text);
const row = (id: string, overrides: Partial<HistoryRow> = {}): HistoryRow => ({
  id,
  name: `000${id}_m`,
  checksum: file(`000${id}_m.sql`).checksum,
  kind: 'expand',
  status: 'applied',
  unitsDone: 1,
  startedAt: '2026-01-01T00:00:00.000Z',
  appliedAt: '2026-01-01T00:00:01.000Z',
  durationMs: 5,
  appliedBy: 'me@host',
  error: null,
  failedLine: null,
  repairedReason: null,
  repairedAt: null,
  ...overrides,
});

describe('selection and status', () => {
  const files = [file('0001_m.sql'), file('0002_m.sql', '-- cutover:contract\nselect 2;'), file('0003_m.sql'), file('0004_m.sql')];
  test('up skips contract migrations unless asked, stops at a target, resumes failed ones with the same checksum', () => {
    const history = [row('1'), row('3', { status: 'failed', unitsDone: 2, checksum: files[2].checksum })];
    assert.deepEqual(
      selectPendingUp(files, history, { contract: false }).map((p) => [p.file.id, p.resumeFromUnit]),
      [
        ['3', 2],
        ['4', 0],
      ],
    );
    assert.deepEqual(
      selectPendingUp(files, history, { contract: true, targetId: '3' }).map((p) => p.file.id),
      ['2', '3'],
    );
  });
  test('down takes the newest applied migrations first', () => {
    const history = [row('1'), row('2'), row('3'), row('4', { status: 'failed' })];
    assert.deepEqual(
      selectDown(history, { steps: 2 }).map((r) => r.id),
      ['3', '2'],
    );
    assert.deepEqual(
      selectDown(history, { targetId: '1' }).map((r) => r.id),
      ['3', '2'],
    );
  });
  test('overall state precedence and exit codes', () => {
    const lock = { pid: 1, applicationName: 'x', clientAddr: null, queryStart: null, xactStart: null, state: null, query: '' };
    const state = (history: HistoryRow[], holder = false) => {
      const s = buildMigrationStatus(files, history, holder ? lock : null);
      return [s.state, s.exitCode];
    };
    const all = ['1', '2', '3', '4'].map((id) => row(id, { checksum: files[Number(id) - 1].checksum }));
    assert.deepEqual(state(all), ['up-to-date', 0]);
    assert.deepEqual(state(all.slice(0, 3)), ['pending', 3]);
    assert.deepEqual(state(all.slice(0, 3), true), ['locked', 6]);
    assert.deepEqual(state([...all.slice(0, 3), row('4', { status: 'failed' })], true), ['failed', 4]);
    assert.deepEqual(state([row('1', { checksum: 'edited' }), row('2', { status: 'failed' })]), ['drift', 5]);
  });
});

describe('lockRetryDelayMs', () => {
  test('doubles from the base up to the cap; half of it is jitter', () => {
    const backoff = { baseMs: 1000, maxMs: 15_000 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((a) => lockRetryDelayMs(a, backoff, () => 0)),
      [500, 1000, 2000, 4000, 7500, 7500],
    );
    assert.deepEqual(
      [0, 1, 4].map((a) => lockRetryDelayMs(a, backoff, () => 1)),
      [1000, 2000, 15_000],
    );
  });
});
