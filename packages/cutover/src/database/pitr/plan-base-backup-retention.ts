import type { BaseBackupManifest } from './base-backup-manifest.ts';

/**
 * Which base backups to keep (pure): the newest `keepCount`, minus those older than `keepMaxAgeMs`;
 * the newest is always kept, so retention never leaves nothing to recover from.
 */
export function planBaseBackupRetention(
  newestFirst: readonly BaseBackupManifest[],
  policy: { keepCount: number; keepMaxAgeMs: number; now: Date },
): { keep: BaseBackupManifest[]; delete: { id: string; reason: string }[] } {
  const keep: BaseBackupManifest[] = [];
  const drop: { id: string; reason: string }[] = [];
  for (const [index, manifest] of newestFirst.entries()) {
    const age = policy.now.getTime() - new Date(manifest.consistentAt).getTime();
    if (index === 0) keep.push(manifest);
    else if (index >= policy.keepCount) drop.push({ id: manifest.id, reason: `beyond the newest ${policy.keepCount}` });
    else if (age > policy.keepMaxAgeMs)
      drop.push({ id: manifest.id, reason: `older than ${Math.round(policy.keepMaxAgeMs / 3_600_000)}h` });
    else keep.push(manifest);
  }
  return { keep, delete: drop };
}
