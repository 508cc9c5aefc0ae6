import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SqlSyntaxError } from '../../../src/database/migrations/sql-parser.ts';
import { splitStatements } from '../../../src/database/migrations/sql-splitter.ts';

const texts = (sql: string) => splitStatements(sql).map((s) => s.text);

describe('splitStatements', () => {
  test('splits on top-level semicolons and drops empty statements and comment-only tails', () => {
    assert.deepEqual(texts('select 1;;\n  select 2 ;\n-- trailing comment\n'), ['select 1', 'select 2']);
    assert.deepEqual(texts('select 1'), ['select 1']);
  });

  test('semicolons inside strings, quoted identifiers and comments do not split', () => {
    const sql = `insert into "odd;name" values ('a;b', 'it''s;');\n-- a; comment\nselect /* x; /* nested; */ y; */ 2;`;
    assert.deepEqual(texts(sql), [`insert into "odd;name" values ('a;b', 'it''s;')`, 'select /* x; /* nested; */ y; */ 2']);
  });

  test('E-strings honour backslash escapes; standard strings do not', () => {
    assert.deepEqual(texts(`select E'a\\';b'; select 'c\\'; select 3`), [`select E'a\\';b'`, `select 'c\\'`, 'select 3']);
  });

  test('dollar quoting, with and without tags, nested tags inside', () => {
    const fn = `create function f() returns int language plpgsql as $body$
begin
  perform 1; -- inside
  return $x$;$x$::int;
end;
$body$`;
    assert.deepEqual(texts(`${fn};\nselect $$a;b$$;`), [fn, 'select $$a;b$$']);
  });

  test('positional parameters are not dollar quotes', () => {
    assert.deepEqual(texts('prepare p as select $1; select 2'), ['prepare p as select $1', 'select 2']);
  });

  test('SQL-standard function bodies (BEGIN ATOMIC ... END) stay whole, CASE ... END included', () => {
    const fn = `create function g(a int) returns int language sql begin atomic
  select case when a > 0 then 1 else 0 end;
  select 2;
end`;
    assert.deepEqual(texts(`${fn};\nselect 3;`), [fn, 'select 3']);
    assert.deepEqual(texts('begin; select 1; commit;'), ['begin', 'select 1', 'commit']);
  });

  test('reports first and last lines, shifted by the line offset', () => {
    const statements = splitStatements('\n\n-- c\nselect\n  1;\nselect 2;', 10);
    assert.deepEqual(
      statements.map((s) => [s.line, s.endLine]),
      [
        [14, 15],
        [16, 16],
      ],
    );
  });

  test('normalized form upper-cases words and hides literals', () => {
    const [s] = splitStatements(`alter table "Users" add column note text default 'DROP TABLE x'`);
    assert.equal(s.normalized, `ALTER TABLE "Users" ADD COLUMN NOTE TEXT DEFAULT '?'`);
  });

  test('unterminated quotes and SQL PostgreSQL cannot parse are syntax errors that say where', () => {
    assert.throws(
      () => texts(`select 'open; select 2`),
      (e: SqlSyntaxError) => e instanceof SqlSyntaxError && /unterminated quoted string/.test(e.message),
    );
    assert.throws(
      () => texts('select 1;\nselec 2;'),
      (e: SqlSyntaxError) => e.offset === 10 && /syntax error at or near "selec"/.test(e.message),
    );
  });

  test('DO bodies, dollar quotes after multi-byte text and multi-target statements split where PostgreSQL does', () => {
    const sql = `insert into t values ('é ü 🚀');\ndo $$ begin delete from x; perform 1; end $$;\ndrop table a, b;\nwith d as (delete from t returning *) select * from d;`;
    assert.deepEqual(texts(sql), [
      `insert into t values ('é ü 🚀')`,
      'do $$ begin delete from x; perform 1; end $$',
      'drop table a, b',
      'with d as (delete from t returning *) select * from d',
    ]);
    assert.deepEqual(
      splitStatements(sql).map((s) => Object.keys(s.node)[0]),
      ['InsertStmt', 'DoStmt', 'DropStmt', 'SelectStmt'],
    );
  });
});
