import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { lintMigration } from '../../../src/database/lint/lint-migration.ts';
import { SQUAWK_RULE_MAP, UNCLAIMED_SQUAWK_RULES } from '../../../src/database/lint/squawk-rule-map.ts';
import { parseMigrationFile } from '../../../src/database/migrations/migration-file.ts';
import type { SqlStatement } from '../../../src/database/migrations/sql-splitter.ts';

const run = promisify(execFile);
const CORPUS = new URL('./corpus/', import.meta.url).pathname;
const SQUAWK = new URL('../../../../../node_modules/.bin/squawk', import.meta.url).pathname;

/**
 * Statements squawk flags that cutover deliberately does not: the table was created earlier in the
 * same migration, so no session uses it yet (the runner also puts both statements in one
 * transaction). Each entry must still be flagged by squawk, or the test fails and the list shrinks.
 */
const DELIBERATE: { file: string; line: number; rule: string }[] = [
  { file: '01_indexes.sql', line: 14, rule: 'require-concurrent-index-creation' },
  { file: '02_constraints.sql', line: 16, rule: 'constraint-missing-not-valid' },
  { file: '04_breaking.sql', line: 14, rule: 'ban-drop-table' },
];

interface SquawkFinding {
  line: number;
  rule_name: string;
}

async function squawk(file: string): Promise<SquawkFinding[]> {
  try {
    const { stdout } = await run(SQUAWK, ['--reporter', 'json', file], { timeout: 60_000 });
    return JSON.parse(stdout);
  } catch (error) {
    const e = error as { stdout?: string; code?: unknown };
    if (e.stdout?.startsWith('[')) return JSON.parse(e.stdout);
    throw error;
  }
}

function statementAt(statements: readonly SqlStatement[], line: number): number {
  const index = statements.findIndex((s) => s.line <= line && line <= s.endLine);
  return index === -1 ? statements.findIndex((s) => s.line >= line) : index;
}

test('every statement squawk flags under a claimed rule is flagged by cutover', async (t) => {
  const files = readdirSync(CORPUS)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  assert.ok(files.length >= 8);
  const perRule = new Map<string, { squawk: number; cutover: number }>();
  const misses: string[] = [];
  const deliberateSeen: string[] = [];
  let statements = 0;
  let flaggedByBoth = 0;
  let cutoverOnly = 0;
  const claimedIds = new Set(Object.values(SQUAWK_RULE_MAP).flat());
  for (const name of files) {
    const migration = parseMigrationFile(name, readFileSync(join(CORPUS, name), 'utf8'));
    statements += migration.up.length;
    const ours = lintMigration(migration, { serverVersionNum: 150_000 });
    const theirs = await squawk(join(CORPUS, name));
    for (const f of ours.filter((o) => claimedIds.has(o.ruleId))) {
      const index = statementAt(migration.up, f.line);
      const also = theirs.some((s) => SQUAWK_RULE_MAP[s.rule_name]?.includes(f.ruleId) && statementAt(migration.up, s.line + 1) === index);
      if (!also) cutoverOnly++;
    }
    for (const finding of theirs) {
      const claimed = SQUAWK_RULE_MAP[finding.rule_name];
      if (!claimed) {
        assert.ok(
          finding.rule_name in UNCLAIMED_SQUAWK_RULES,
          `squawk rule ${finding.rule_name} is neither mapped nor listed as unclaimed`,
        );
        continue;
      }
      const line = finding.line + 1;
      const index = statementAt(migration.up, line);
      const hit = ours.some((f) => claimed.includes(f.ruleId) && statementAt(migration.up, f.line) === index);
      const counts = perRule.get(finding.rule_name) ?? { squawk: 0, cutover: 0 };
      counts.squawk++;
      if (hit) {
        counts.cutover++;
        flaggedByBoth++;
      } else if (DELIBERATE.some((d) => d.file === name && d.line === line && d.rule === finding.rule_name)) {
        deliberateSeen.push(`${name}:${line} ${finding.rule_name}`);
      } else {
        misses.push(`${name}:${line} ${finding.rule_name}: ${migration.up[index]?.text.split('\n')[0]}`);
      }
      perRule.set(finding.rule_name, counts);
    }
  }
  const rows = [...perRule.entries()].sort(([a], [b]) => a.localeCompare(b));
  const total = rows.reduce((n, [, c]) => n + c.squawk, 0);
  t.diagnostic(
    `${files.length} files, ${statements} statements; ${total} squawk findings under claimed rules, ${flaggedByBoth} also flagged by cutover, ${deliberateSeen.length} deliberate differences; ${cutoverOnly} cutover findings under mapped rules that squawk did not report`,
  );
  for (const [rule, c] of rows) t.diagnostic(`${rule.padEnd(46)} ${c.cutover}/${c.squawk}`);
  assert.deepEqual(misses, []);
  assert.deepEqual(deliberateSeen.sort(), DELIBERATE.map((d) => `${d.file}:${d.line} ${d.rule}`).sort());
});
