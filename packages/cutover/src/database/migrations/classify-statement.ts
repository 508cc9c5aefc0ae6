import { classifyParseTree } from './classify-parse-tree.ts';
import { type LockLevel, strongestLock } from './lock-level.ts';
import type { SqlStatement } from './sql-splitter.ts';
import { alterTableShape, readName, wordsOf } from './statement-shape.ts';

/** What the runner and `plan` need to know about one statement. */
export interface StatementClass {
  /** Leading keywords, e.g. `CREATE INDEX CONCURRENTLY`, `ALTER TABLE`, `UPDATE`. */
  command: string;
  /** Strongest table lock the statement takes on `table`. */
  lockLevel: LockLevel;
  /** The relation the lock is on, as written; undefined when none. The first of `tables`. */
  table?: string;
  /** Every relation the lock is on (DROP TABLE a, b; TRUNCATE a, b; LOCK a, b; the tables a WITH writes). */
  tables: string[];
  /** False when PostgreSQL refuses to run it inside a transaction block. */
  transactional: boolean;
  /** BEGIN, COMMIT, ROLLBACK, SAVEPOINT...: the runner owns transactions. */
  transactionControl: boolean;
  /** For CREATE INDEX CONCURRENTLY: the index name (qualified with the table's schema when given). */
  concurrentIndexName?: string;
}

/** `ALTER TYPE ... ADD VALUE` runs in a transaction block only from PostgreSQL 12 on. */
export const ENUM_ADD_VALUE_IN_TRANSACTION_SINCE = 120_000;

/**
 * Classifies a statement: by its keywords, corrected by its parse tree where keywords alone mislead
 * (multi-target statements, data-modifying WITH, DO, REINDEX SCHEMA). `serverVersionNum` is
 * PostgreSQL's server_version_num.
 */
export function classifyStatement(statement: SqlStatement, serverVersionNum: number): StatementClass {
  const byKeywords = classifyByKeywords(statement, serverVersionNum);
  const tree = classifyParseTree(statement.node);
  if (!tree) return { ...byKeywords, tables: byKeywords.table === undefined ? [] : [byKeywords.table] };
  const tables = tree.tables ?? (byKeywords.table === undefined ? [] : [byKeywords.table]);
  return {
    ...byKeywords,
    command: tree.command ?? byKeywords.command,
    lockLevel: tree.lockLevel ?? byKeywords.lockLevel,
    transactional: tree.transactional ?? byKeywords.transactional,
    table: byKeywords.table ?? tables[0],
    tables,
  };
}

function classifyByKeywords(statement: SqlStatement, serverVersionNum: number): Omit<StatementClass, 'tables'> {
  const w = wordsOf(statement.tokens);
  const n = statement.normalized;
  const result = (command: string, lockLevel: LockLevel, table?: string, transactional = true): Omit<StatementClass, 'tables'> => ({
    command,
    lockLevel,
    table,
    transactional,
    transactionControl: false,
  });
  const nameAt = (index: number) => readName(statement.tokens, index)?.name;
  const indexOfWord = (word: string, from = 0) => w.indexOf(word, from);

  if (/^(BEGIN|START TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE TRANSACTION)\b/.test(n)) {
    return { ...result(w[0] === 'START' ? 'START TRANSACTION' : w[0], 'NONE'), transactionControl: true };
  }
  const createIndex = /^CREATE (UNIQUE )?INDEX( CONCURRENTLY)?/.exec(n);
  if (createIndex) {
    const on = indexOfWord('ON');
    const table = nameAt(w[on + 1] === 'ONLY' ? on + 2 : on + 1);
    if (!createIndex[2]) return result('CREATE INDEX', 'SHARE', table);
    let at = 3 + (createIndex[1] ? 1 : 0);
    if (w[at] === 'IF') at += 3;
    const indexName = at < on ? nameAt(at) : undefined;
    const schema = table?.includes('.') && !indexName?.includes('.') ? `${table.slice(0, table.lastIndexOf('.'))}.` : '';
    return {
      ...result('CREATE INDEX CONCURRENTLY', 'SHARE UPDATE EXCLUSIVE', table, false),
      concurrentIndexName: indexName ? schema + indexName : undefined,
    };
  }
  if (/^DROP INDEX CONCURRENTLY/.test(n)) return result('DROP INDEX CONCURRENTLY', 'SHARE UPDATE EXCLUSIVE', undefined, false);
  if (/^DROP INDEX/.test(n)) return result('DROP INDEX', 'ACCESS EXCLUSIVE', nameAt(w[2] === 'IF' ? 4 : 2));
  if (/^REINDEX\b/.test(n)) {
    const concurrent = /\bCONCURRENTLY\b/.test(n);
    const scope = /\b(INDEX|TABLE|SCHEMA|DATABASE|SYSTEM)\b/.exec(n)?.[1] ?? '';
    return result(
      `REINDEX${concurrent ? ' CONCURRENTLY' : ''}`,
      concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE',
      scope,
      !concurrent,
    );
  }
  const alter = alterTableShape(statement);
  if (alter) {
    const levels = alter.actions.map((a) => alterActionLock(a.normalized));
    const detachConcurrently = alter.actions.some((a) => /^DETACH PARTITION .* CONCURRENTLY$/.test(a.normalized));
    return result('ALTER TABLE', strongestLock(levels), alter.table, !detachConcurrently);
  }
  if (/^ALTER INDEX/.test(n)) {
    const rename = / RENAME TO /.test(n);
    return result('ALTER INDEX', rename ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE', nameAt(w[2] === 'IF' ? 4 : 2));
  }
  if (/^ALTER TYPE .* ADD VALUE\b/.test(n))
    return result('ALTER TYPE ADD VALUE', 'NONE', undefined, serverVersionNum >= ENUM_ADD_VALUE_IN_TRANSACTION_SINCE);
  if (/^CREATE (GLOBAL |LOCAL )?(TEMP |TEMPORARY |UNLOGGED )?TABLE\b/.test(n)) {
    const references = / REFERENCES /.test(n);
    const referenced = references ? nameAt(indexOfWord('REFERENCES') + 1) : undefined;
    if (/ AS (SELECT|TABLE|VALUES|WITH|\()/.test(n)) return result('CREATE TABLE AS', 'ACCESS SHARE');
    return result('CREATE TABLE', references ? 'SHARE ROW EXCLUSIVE' : 'NONE', referenced);
  }
  if (/^DROP TABLE/.test(n)) return result('DROP TABLE', 'ACCESS EXCLUSIVE', nameAt(w[2] === 'IF' ? 4 : 2));
  if (/^TRUNCATE/.test(n)) return result('TRUNCATE', 'ACCESS EXCLUSIVE', nameAt(w[1] === 'TABLE' ? 2 : 1));
  if (/^CREATE (OR REPLACE )?(CONSTRAINT )?TRIGGER/.test(n))
    return result('CREATE TRIGGER', 'SHARE ROW EXCLUSIVE', nameAt(indexOfWord('ON') + 1));
  if (/^DROP TRIGGER/.test(n)) return result('DROP TRIGGER', 'ACCESS EXCLUSIVE', nameAt(indexOfWord('ON') + 1));
  if (/^CREATE OR REPLACE (TEMP |TEMPORARY |RECURSIVE )*VIEW/.test(n)) return result('CREATE OR REPLACE VIEW', 'ACCESS EXCLUSIVE');
  if (/^DROP (MATERIALIZED )?VIEW/.test(n)) return result(`DROP ${w[1] === 'MATERIALIZED' ? 'MATERIALIZED ' : ''}VIEW`, 'ACCESS EXCLUSIVE');
  if (/^REFRESH MATERIALIZED VIEW CONCURRENTLY/.test(n)) return result('REFRESH MATERIALIZED VIEW CONCURRENTLY', 'EXCLUSIVE', nameAt(4));
  if (/^REFRESH MATERIALIZED VIEW/.test(n)) return result('REFRESH MATERIALIZED VIEW', 'ACCESS EXCLUSIVE', nameAt(3));
  if (/^VACUUM\b/.test(n)) {
    const full = /^VACUUM (\(.*\bFULL\b.*\)|FULL\b)/.test(n);
    return result(full ? 'VACUUM FULL' : 'VACUUM', full ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE', undefined, false);
  }
  if (/^CLUSTER\b/.test(n)) return result('CLUSTER', 'ACCESS EXCLUSIVE');
  if (/^(ANALYZE|ANALYSE)\b/.test(n)) return result('ANALYZE', 'SHARE UPDATE EXCLUSIVE');
  if (/^LOCK\b/.test(n)) {
    const mode = / IN (.+) MODE/.exec(n)?.[1] as LockLevel | undefined;
    return result('LOCK', mode ?? 'ACCESS EXCLUSIVE', nameAt(w[1] === 'TABLE' ? 2 : 1));
  }
  if (/^(INSERT|UPDATE|DELETE|MERGE)\b/.test(n)) {
    const at = w[0] === 'UPDATE' ? 1 : indexOfWord(w[0] === 'INSERT' || w[0] === 'MERGE' ? 'INTO' : 'FROM') + 1;
    return result(w[0], 'ROW EXCLUSIVE', nameAt(w[at] === 'ONLY' ? at + 1 : at));
  }
  if (/^COPY .* FROM\b/.test(n)) return result('COPY FROM', 'ROW EXCLUSIVE', nameAt(1));
  if (/^(SELECT|WITH|VALUES|TABLE)\b/.test(n))
    return result(w[0], / FOR (UPDATE|SHARE|NO KEY UPDATE|KEY SHARE)\b/.test(n) ? 'ROW SHARE' : 'ACCESS SHARE');
  if (/^COMMENT ON/.test(n)) return result('COMMENT', 'SHARE UPDATE EXCLUSIVE');
  if (/^(CREATE|DROP|ALTER) (RULE|POLICY)/.test(n)) return result(`${w[0]} ${w[1]}`, 'ACCESS EXCLUSIVE', nameAt(indexOfWord('ON') + 1));
  if (/^(CREATE|DROP) DATABASE|^ALTER SYSTEM|^(CREATE|DROP) TABLESPACE/.test(n)) return result(`${w[0]} ${w[1]}`, 'NONE', undefined, false);
  return result(w.slice(0, 2).join(' '), 'NONE');
}

/** Lock taken by one ALTER TABLE action (PostgreSQL's ALTER TABLE reference). */
export function alterActionLock(action: string): LockLevel {
  if (/^VALIDATE CONSTRAINT/.test(action)) return 'SHARE UPDATE EXCLUSIVE';
  if (/^ADD (CONSTRAINT \S+ )?FOREIGN KEY/.test(action)) return 'SHARE ROW EXCLUSIVE';
  if (/^(ENABLE|DISABLE)( ALWAYS| REPLICA)? TRIGGER/.test(action)) return 'SHARE ROW EXCLUSIVE';
  if (/^ALTER (COLUMN )?\S+ SET STATISTICS/.test(action)) return 'SHARE UPDATE EXCLUSIVE';
  if (/^(SET|RESET) \(/.test(action) || /^CLUSTER ON|^SET WITHOUT CLUSTER/.test(action)) return 'SHARE UPDATE EXCLUSIVE';
  if (/^ATTACH PARTITION/.test(action)) return 'SHARE UPDATE EXCLUSIVE';
  if (/^DETACH PARTITION .* CONCURRENTLY$/.test(action)) return 'SHARE UPDATE EXCLUSIVE';
  return 'ACCESS EXCLUSIVE';
}
