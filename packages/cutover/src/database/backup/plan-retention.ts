import type { BackupManifest } from './backup-manifest.ts';

export interface RetentionPolicy {
  /** Keep at most this many backups. */
  keepCount: number;
  /** Delete backups older than this. */
  keepMaxAgeMs: number;
  now: Date;
  /** Ids never deleted (the backup just taken). */
  protect?: readonly string[];
}

export interface RetentionPlan {
  /** Newest first. */
  keep: string[];
  delete: { id: string; reason: string }[];
}

/**
 * Which backups to delete: beyond the newest `keepCount`, or older than `keepMaxAgeMs`. The newest
 * backup and the newest verified backup are always kept, so a run of failed verifies (or a clock
 * jump) can never leave the service without a restorable backup.
 */
export function planRetention(
  manifests: readonly Pick<BackupManifest, 'id' | 'created' | 'verified'>[],
  policy: RetentionPolicy,
): RetentionPlan {
  const sorted = [...manifests].sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : b.id.localeCompare(a.id)));
  const protectedIds = new Set(policy.protect ?? []);
  if (sorted.length > 0) protectedIds.add(sorted[0].id);
  const newestVerified = sorted.find((m) => m.verified === true);
  if (newestVerified) protectedIds.add(newestVerified.id);
  const plan: RetentionPlan = { keep: [], delete: [] };
  sorted.forEach((manifest, index) => {
    const ageMs = policy.now.getTime() - Date.parse(manifest.created);
    let reason: string | undefined;
    if (index >= policy.keepCount) reason = `beyond keepCount ${policy.keepCount}`;
    else if (ageMs > policy.keepMaxAgeMs) reason = `older than keepMaxAgeMs ${policy.keepMaxAgeMs}`;
    if (reason === undefined || protectedIds.has(manifest.id)) plan.keep.push(manifest.id);
    else plan.delete.push({ id: manifest.id, reason });
  });
  return plan;
}
