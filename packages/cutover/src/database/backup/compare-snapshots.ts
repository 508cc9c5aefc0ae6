import type { BackupManifest } from './backup-manifest.ts';
import type { DatabaseSnapshot } from './read-database-snapshot.ts';

/**
 * Differences between what the manifest recorded at backup time and what a restore produced: one
 * sentence each, empty when they agree. Estimated row counts are not compared (they are estimates).
 */
export function compareSnapshots(
  expected: Pick<BackupManifest, 'tables' | 'sequences' | 'migrationVersion'>,
  actual: DatabaseSnapshot,
): string[] {
  const problems: string[] = [];
  const key = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;
  const restored = new Map(actual.tables.map((t) => [key(t), t]));
  for (const table of expected.tables) {
    const got = restored.get(key(table));
    if (got === undefined) {
      problems.push(`table ${key(table)} is missing after restore`);
      continue;
    }
    restored.delete(key(table));
    if (got.columns.join(', ') !== table.columns.join(', ')) {
      problems.push(`table ${key(table)} columns differ: expected (${table.columns.join(', ')}), restored (${got.columns.join(', ')})`);
    }
    if (table.rowsExact && got.rows !== table.rows) {
      problems.push(`table ${key(table)} has ${got.rows} rows after restore, ${table.rows} at backup time`);
    }
  }
  for (const extra of restored.keys()) problems.push(`table ${extra} exists after restore but not in the manifest`);
  const sequences = new Map(actual.sequences.map((s) => [key(s), s]));
  for (const sequence of expected.sequences) {
    const got = sequences.get(key(sequence));
    if (got === undefined) problems.push(`sequence ${key(sequence)} is missing after restore`);
    else if (got.lastValue !== sequence.lastValue) {
      problems.push(
        `sequence ${key(sequence)} is at ${got.lastValue ?? 'unused'} after restore, ${sequence.lastValue ?? 'unused'} at backup time`,
      );
    }
  }
  if (actual.migrationVersion !== expected.migrationVersion) {
    problems.push(
      `migration version is ${actual.migrationVersion ?? 'none'} after restore, ${expected.migrationVersion ?? 'none'} at backup time`,
    );
  }
  return problems;
}
