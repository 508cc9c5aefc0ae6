import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { dumpPath, listManifests, manifestPath } from './backup-manifest.ts';
import { planRetention, type RetentionPlan, type RetentionPolicy } from './plan-retention.ts';

export interface AppliedRetention extends RetentionPlan {
  /** Leftover `.partial` dumps of crashed runs that were removed. */
  removedPartials: string[];
}

/** A partial dump this old is a crashed run, not one in progress. */
export const STALE_PARTIAL_MS = 24 * 3_600_000;

/** Plans retention over the manifests in `dir` and deletes what the plan says (dump first, then manifest). */
export async function applyRetention(dir: string, policy: RetentionPolicy): Promise<AppliedRetention> {
  const plan = planRetention(await listManifests(dir), policy);
  for (const { id } of plan.delete) {
    await rm(dumpPath(dir, id), { force: true });
    await rm(manifestPath(dir, id), { force: true });
  }
  const removedPartials: string[] = [];
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.dump.partial')) continue;
    const file = join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info && policy.now.getTime() - info.mtimeMs > STALE_PARTIAL_MS) {
      await rm(file, { force: true });
      removedPartials.push(name);
    }
  }
  return { ...plan, removedPartials };
}
