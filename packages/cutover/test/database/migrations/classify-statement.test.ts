import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyStatement } from '../../../src/database/migrations/classify-statement.ts';
import { splitStatements } from '../../../src/database/migrations/sql-splitter.ts';

const classify = (sql: string) => {
  const { command, lockLevel, table, tables, transactional } = classifyStatement(splitStatements(sql)[0], 150_000);
  return { command, lockLevel, table, tables, transactional };
};

test('multi-target DROP, TRUNCATE and LOCK name every table they lock', () => {
  assert.deepEqual(classify('DROP TABLE IF EXISTS a, public."Orders" CASCADE'), {
    command: 'DROP TABLE',
    lockLevel: 'ACCESS EXCLUSIVE',
    table: 'a',
    tables: ['a', 'public."Orders"'],
    transactional: true,
  });
  assert.deepEqual(classify('TRUNCATE ONLY a, b RESTART IDENTITY').tables, ['a', 'b']);
  assert.deepEqual(classify('LOCK TABLE a, s.b IN SHARE ROW EXCLUSIVE MODE'), {
    command: 'LOCK',
    lockLevel: 'SHARE ROW EXCLUSIVE',
    table: 'a',
    tables: ['a', 's.b'],
    transactional: true,
  });
  assert.equal(classify('LOCK a').lockLevel, 'ACCESS EXCLUSIVE');
});

test('a WITH that deletes, updates or inserts writes rows: ROW EXCLUSIVE on what it writes, not a read', () => {
  assert.deepEqual(classify('WITH gone AS (DELETE FROM sessions WHERE expired RETURNING id) SELECT count(*) FROM gone'), {
    command: 'WITH',
    lockLevel: 'ROW EXCLUSIVE',
    table: 'sessions',
    tables: ['sessions'],
    transactional: true,
  });
  assert.deepEqual(classify('WITH moved AS (UPDATE a SET x = 1 RETURNING id) INSERT INTO log SELECT id FROM moved').tables, ['log', 'a']);
  assert.equal(classify('WITH r AS (SELECT 1) SELECT * FROM r').lockLevel, 'ACCESS SHARE');
});

test('a DO block is one statement named DO, whatever its body holds', () => {
  const statements = splitStatements("DO $body$ BEGIN DELETE FROM x; EXECUTE 'DROP TABLE y'; END $body$; SELECT 1");
  assert.equal(statements.length, 2);
  assert.equal(classifyStatement(statements[0], 150_000).command, 'DO');
});

test('REINDEX SCHEMA, DATABASE, SYSTEM and CONCURRENTLY refuse a transaction block; REINDEX TABLE does not', () => {
  assert.equal(classify('REINDEX SCHEMA public').transactional, false);
  assert.equal(classify('REINDEX DATABASE shop').transactional, false);
  assert.equal(classify('REINDEX (VERBOSE) TABLE CONCURRENTLY orders').transactional, false);
  assert.equal(classify('REINDEX TABLE orders').transactional, true);
});
