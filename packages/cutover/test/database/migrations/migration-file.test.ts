import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { migrationChecksum } from '../../../src/database/migrations/checksum.ts';
import { parseMigrationFile } from '../../../src/database/migrations/migration-file.ts';

describe('parseMigrationFile', () => {
  test('reads id, name, sections, directives and kind', () => {
    const text = [
      '-- cutover:lock_timeout 3s',
      '-- cutover:statement_timeout 20m',
      '-- cutover:lock_retries 2',
      '-- cutover:contract',
      '-- cutover:allow drop-column the column is unused since v41',
      '-- migrate:up',
      'alter table a drop column b;',
      '-- migrate:down',
      'alter table a add column b text;',
      '',
    ].join('\n');
    const m = parseMigrationFile('0042_drop_b.sql', text);
    assert.equal(m.id, '42');
    assert.equal(m.name, '0042_drop_b');
    assert.equal(m.kind, 'contract');
    assert.deepEqual(
      { lock: m.directives.lockTimeoutMs, statement: m.directives.statementTimeoutMs, retries: m.directives.lockRetries },
      { lock: 3000, statement: 1_200_000, retries: 2 },
    );
    assert.deepEqual(m.directives.allows, [{ ruleId: 'drop-column', reason: 'the column is unused since v41', line: 5 }]);
    assert.deepEqual(
      m.up.map((s) => [s.line, s.text]),
      [[7, 'alter table a drop column b']],
    );
    assert.deepEqual(
      m.down?.map((s) => [s.line, s.text]),
      [[9, 'alter table a add column b text']],
    );
  });

  test('a file without markers is all up and has no down', () => {
    const m = parseMigrationFile('7_x.sql', 'create table t (id bigint);\n');
    assert.equal(m.up.length, 1);
    assert.equal(m.down, null);
  });

  test('refuses near-miss markers, duplicated markers and statements above the first marker', () => {
    assert.throws(() => parseMigrationFile('1_x.sql', '-- migrate:up\nselect 1;\n-- migrate: dwn\nselect 2;'), {
      code: 'CUT_ERR_MIGRATE_FILE_INVALID',
    });
    assert.throws(() => parseMigrationFile('1_x.sql', '-- migrate:up\nselect 1;\n-- migrate:up\n'), {
      code: 'CUT_ERR_MIGRATE_FILE_INVALID',
    });
    assert.throws(() => parseMigrationFile('1_x.sql', 'select 0;\n-- migrate:up\nselect 1;'), { code: 'CUT_ERR_MIGRATE_FILE_INVALID' });
    assert.throws(() => parseMigrationFile('x.sql', 'select 1'), { code: 'CUT_ERR_MIGRATE_FILE_INVALID' });
  });

  test('markers inside strings are data, not markers', () => {
    const m = parseMigrationFile('1_x.sql', '-- migrate:up\ninsert into notes values ($$\n-- migrate:down\n$$);\n');
    assert.equal(m.down, null);
    assert.equal(m.up.length, 1);
  });

  test('directive problems are collected, not thrown', () => {
    const m = parseMigrationFile(
      '1_x.sql',
      '-- cutover:lock_timeout soon\n-- cutover:frobnicate\n-- cutover:allow index-not-concurrent\nselect 1;',
    );
    assert.deepEqual(
      m.directives.problems.map((p) => p.line),
      [1, 2],
    );
    assert.deepEqual(m.directives.allows, [{ ruleId: 'index-not-concurrent', reason: '', line: 3 }]);
  });

  test('checksum ignores line endings and a byte-order mark, nothing else', () => {
    assert.equal(migrationChecksum('select 1;\r\n'), migrationChecksum('\uFEFFselect 1;\n'));
    assert.notEqual(migrationChecksum('select 1;\n'), migrationChecksum('select 1; \n'));
  });
});
