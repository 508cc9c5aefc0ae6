import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { lintMigration } from '../../../src/database/lint/lint-migration.ts';
import { LINT_RULES } from '../../../src/database/lint/lint-rules.ts';
import { parseMigrationFile } from '../../../src/database/migrations/migration-file.ts';

/** For each rule: SQL on which it fires, and close SQL on which it must stay quiet. */
const CASES: Record<string, { fires: string; quiet: string; version?: number }> = {
  'index-not-concurrent': {
    fires: 'create index users_email on users (email);',
    quiet: 'create table t (id bigint, a text);\ncreate index t_a on t (a);\ncreate index concurrently users_email on users (email);',
  },
  'drop-index-not-concurrent': { fires: 'drop index users_email;', quiet: 'drop index concurrently if exists users_email;' },
  'reindex-not-concurrent': { fires: 'reindex index users_email;', quiet: 'reindex index concurrently users_email;' },
  'concurrently-in-transaction': {
    fires: 'begin;\ncreate index concurrently i on users (a);\ncommit;',
    quiet: 'create index concurrently i on users (a);',
  },
  'concurrent-index-pg14-corruption': {
    fires: 'create index concurrently i on users (a);',
    quiet: 'create index concurrently i on users (a);',
    version: 140_002,
  },
  'index-too-many-columns': {
    fires: 'create index concurrently i on users (a, b, c, d);',
    quiet:
      'create unique index concurrently i on users (a, b, c, d);\ncreate index concurrently j on users (a, lower(b)) include (c, d, e);',
  },
  'foreign-key-not-valid': {
    fires: 'alter table orders add constraint orders_user_fk foreign key (user_id) references users (id);',
    quiet: 'alter table orders add constraint orders_user_fk foreign key (user_id) references users (id) not valid;',
  },
  'check-not-valid': {
    fires: 'alter table orders add constraint positive check (total > 0);',
    quiet: 'alter table orders add constraint positive check (total > 0) not valid;',
  },
  'validate-in-same-transaction': {
    fires: 'alter table orders add constraint positive check (total > 0) not valid;\nalter table orders validate constraint positive;',
    quiet: 'alter table orders validate constraint positive;',
  },
  'unique-constraint': {
    fires: 'alter table users add constraint users_email_key unique (email);',
    quiet: 'alter table users add constraint users_email_key unique using index users_email_idx;',
  },
  'primary-key-constraint': {
    fires: 'alter table items add primary key (id);',
    quiet: 'alter table items add constraint items_pkey primary key using index items_id_idx;',
  },
  'exclusion-constraint': {
    fires: 'alter table rooms add constraint no_overlap exclude using gist (during with &&);',
    quiet: 'create table rooms2 (during tsrange);\nalter table rooms2 add constraint no_overlap exclude using gist (during with &&);',
  },
  'set-not-null': {
    fires: 'alter table users alter column email set not null;',
    quiet: 'alter table users add constraint email_nn check (email is not null) not valid;',
  },
  'domain-constraint': {
    fires: "create domain us_zip as text check (value ~ '^\\d{5}$');",
    quiet: 'create domain label as text;',
  },
  'add-column-volatile-default': {
    fires: 'alter table users add column token uuid default gen_random_uuid();',
    quiet:
      "alter table users add column created_at timestamptz default now();\nalter table users add column tags jsonb default '[]'::jsonb;",
  },
  'add-column-required': {
    fires: 'alter table users add column plan text not null;',
    quiet: "alter table users add column plan text not null default 'free';",
  },
  'change-column-type': {
    fires: 'alter table users alter column age type bigint;',
    quiet: 'alter table users alter column age set default 0;',
  },
  'drop-not-null': {
    fires: 'alter table users alter column email drop not null;',
    quiet: 'alter table users alter column email drop default;',
  },
  'rename-column': { fires: 'alter table users rename column email to mail;', quiet: 'alter table users rename constraint a to b;' },
  'rename-table': { fires: 'alter table users rename to customers;', quiet: 'alter index users_email rename to users_mail;' },
  'rename-schema': { fires: 'alter schema app rename to core;', quiet: 'alter schema app owner to admin;' },
  'rename-enum-value': {
    fires: "alter type mood rename value 'sad' to 'blue';",
    quiet: "alter type mood add value 'calm' before 'happy';",
  },
  'drop-column': { fires: 'alter table users drop column legacy;', quiet: 'alter table users drop constraint legacy_check;' },
  'drop-table': { fires: 'drop table legacy;', quiet: 'create table scratch (id bigint);\ndrop table scratch;' },
  'drop-database': { fires: 'drop database old;', quiet: 'drop schema old_reports;' },
  'truncate-cascade': { fires: 'truncate sessions cascade;', quiet: 'truncate sessions;' },
  'detach-partition-not-concurrent': {
    fires: 'alter table events detach partition events_2020;',
    quiet: 'alter table events detach partition events_2020 concurrently;',
  },
  'vacuum-full-or-cluster': { fires: 'vacuum full users;', quiet: 'vacuum (analyze) users;' },
  'enum-value-without-position': { fires: "alter type mood add value 'calm';", quiet: "alter type mood add value 'calm' after 'happy';" },
  'transaction-control': { fires: 'begin;\nupdate users set a = 1;\ncommit;', quiet: 'update users set a = 1;' },
  'backfill-with-ddl': {
    fires: 'alter table users add column plan text;\nupdate users set plan = $$free$$;',
    quiet: '-- cutover:no_transaction\nalter table users add column plan text;\nupdate users set plan = $$free$$;',
  },
  'prefer-bigint': { fires: 'create table t (id int primary key);', quiet: 'create table t (id bigint primary key);' },
  'prefer-identity': {
    fires: 'create table t (id serial primary key);',
    quiet: 'create table t (id bigint generated always as identity primary key);',
  },
  'prefer-text': { fires: 'create table t (name varchar(40));', quiet: 'create table t (name text check (length(name) <= 40));' },
  'prefer-timestamptz': {
    fires: 'create table t (at timestamp without time zone);',
    quiet: 'create table t (at timestamp with time zone);',
  },
  'char-field': { fires: 'create table t (code char(2));', quiet: 'create table t (code varchar(2));' },
  'json-column': { fires: 'create table t (doc json);', quiet: 'create table t (doc jsonb);' },
  'identifier-too-long': { fires: `create table ${'x'.repeat(64)} (id bigint);`, quiet: `create table ${'x'.repeat(63)} (id bigint);` },
};

function ruleIds(sql: string, version?: number): string[] {
  return lintMigration(parseMigrationFile('0001_case.sql', sql), { serverVersionNum: version }).map((f) => f.ruleId);
}

describe('lint rules', () => {
  test('docs/lint-rules.md documents exactly the rules', () => {
    const docs = readFileSync(new URL('../../../../../docs/lint-rules.md', import.meta.url), 'utf8');
    const documented = [...docs.matchAll(/^### (\S+)$/gm)].map((m) => m[1]);
    assert.deepEqual(documented, [...LINT_RULES.map((r) => r.id), 'invalid-directive', 'allow-without-reason']);
  });
  test('every rule has a case', () => {
    assert.deepEqual(LINT_RULES.map((r) => r.id).sort(), Object.keys(CASES).sort());
  });
  for (const rule of LINT_RULES) {
    const c = CASES[rule.id];
    test(`${rule.id} fires`, () => assert.ok(ruleIds(c.fires, c.version).includes(rule.id), `${rule.id} on: ${c.fires}`));
    test(`${rule.id} stays quiet`, () =>
      assert.ok(!ruleIds(c.quiet).includes(rule.id), `${rule.id} on: ${c.quiet} -> ${ruleIds(c.quiet)}`));
  }
});

describe('findings', () => {
  test('carry file, line, severity, why and alternative; errors block', () => {
    const [finding] = lintMigration(parseMigrationFile('0003_idx.sql', '-- migrate:up\n\ncreate index i\n  on users (a);'));
    assert.deepEqual(
      { id: finding.ruleId, file: finding.file, line: finding.line, severity: finding.severity, blocking: finding.blocking },
      { id: 'index-not-concurrent', file: '0003_idx.sql', line: 3, severity: 'error', blocking: true },
    );
    assert.match(finding.why, /SHARE lock/);
    assert.match(finding.alternative, /CONCURRENTLY/);
  });

  test('an ALTER TABLE finding points at the line of its action', () => {
    const findings = lintMigration(parseMigrationFile('1_x.sql', 'alter table users\n  add column a text,\n  alter column b type bigint;'));
    assert.deepEqual(
      findings.map((f) => [f.ruleId, f.line]),
      [['change-column-type', 3]],
    );
  });

  test('an allow with a reason accepts only its rule; without a reason it is itself blocking', () => {
    const allowed = lintMigration(
      parseMigrationFile('1_x.sql', '-- cutover:allow index-not-concurrent tiny table\ncreate index i on users (a);\ndrop index j;'),
    );
    assert.deepEqual(
      allowed.map((f) => [f.ruleId, f.blocking, f.allowedBy?.reason ?? null]),
      [
        ['index-not-concurrent', false, 'tiny table'],
        ['drop-index-not-concurrent', true, null],
      ],
    );
    const bare = lintMigration(parseMigrationFile('1_x.sql', '-- cutover:allow index-not-concurrent\ncreate index i on users (a);'));
    assert.deepEqual(
      bare.map((f) => [f.ruleId, f.blocking]),
      [
        ['allow-without-reason', true],
        ['index-not-concurrent', true],
      ],
    );
  });

  test('unknown directives and allows of unknown rules block', () => {
    const findings = lintMigration(
      parseMigrationFile('1_x.sql', '-- cutover:lock_timout 1s\n-- cutover:allow no-such-rule because\nselect 1;'),
    );
    assert.deepEqual(
      findings.map((f) => [f.ruleId, f.line, f.blocking]),
      [
        ['invalid-directive', 1, true],
        ['invalid-directive', 2, true],
      ],
    );
  });

  test('config severities turn rules off or down to warnings', () => {
    const file = parseMigrationFile('1_x.sql', 'create index i on users (a);\ncreate table t (id int);');
    const findings = lintMigration(file, { ruleSettings: { 'index-not-concurrent': 'warning', 'prefer-bigint': 'off' } });
    assert.deepEqual(
      findings.map((f) => [f.ruleId, f.severity, f.blocking]),
      [['index-not-concurrent', 'warning', false]],
    );
  });

  test('a default rewrites the table before PostgreSQL 11, whatever it is', () => {
    const file = parseMigrationFile('1_x.sql', "alter table users add column plan text default 'free';");
    assert.ok(lintMigration(file, { serverVersionNum: 100_000 }).some((f) => f.ruleId === 'add-column-volatile-default'));
    assert.ok(!lintMigration(file, { serverVersionNum: 110_000 }).some((f) => f.ruleId === 'add-column-volatile-default'));
  });

  test('drop-column and drop-table are fine in contract migrations', () => {
    const file = parseMigrationFile('1_x.sql', '-- cutover:contract\nalter table users drop column legacy;\ndrop table old;');
    assert.deepEqual(lintMigration(file), []);
  });
});
