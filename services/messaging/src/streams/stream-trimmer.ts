import { flatToObject, type RedisClient } from '../redis/create-redis.ts';
import { compareStreamIds } from './stream-id.ts';

export interface GroupPosition {
  name: string;
  /** Last id handed to any consumer of the group ('0-0' before the first delivery). */
  lastDeliveredId: string;
  /** Entries delivered and not acknowledged. */
  pending: number;
  /** Smallest pending id, when `pending` > 0. */
  oldestPendingId: string | null;
}

/**
 * The MINID below which every entry is acknowledged by every group that counts, or null when
 * nothing may go. Redis 7.0 trims entries whatever the PEL says, so the bound is each group's oldest
 * pending id, or its last-delivered id when nothing is pending (entries above it were never
 * delivered). A stream without a counted group keeps everything: nobody has consumed it yet.
 * `ignoreGroups` are dry-run groups (shadow consumers) that must never hold back trimming.
 */
export function trimThreshold(groups: readonly GroupPosition[], ignoreGroups: readonly string[] = []): string | null {
  const counted = groups.filter((g) => !ignoreGroups.includes(g.name));
  if (counted.length === 0) return null;
  let threshold: string | null = null;
  for (const group of counted) {
    const bound = group.pending > 0 && group.oldestPendingId ? group.oldestPendingId : group.lastDeliveredId;
    if (threshold === null || compareStreamIds(bound, threshold) < 0) threshold = bound;
  }
  return threshold === null || compareStreamIds(threshold, '0-1') < 0 ? null : threshold;
}

/** Every group's position on a stream (XINFO GROUPS, then XPENDING's summary per group); [] when the stream is missing. */
export async function readGroupPositions(redis: RedisClient, stream: string): Promise<GroupPosition[]> {
  let raw: unknown[];
  try {
    raw = (await redis.xinfo('GROUPS', stream)) as unknown[];
  } catch (error) {
    if (error instanceof Error && /no such key/i.test(error.message)) return [];
    throw error;
  }
  const groups = raw.map((flat) => flatToObject(flat));
  const summaries = await Promise.all(groups.map((g) => redis.xpending(stream, String(g.name)) as Promise<unknown[]>));
  return groups.map((g, i) => {
    const [count, smallest] = summaries[i] ?? [];
    return {
      name: String(g.name),
      lastDeliveredId: String(g['last-delivered-id'] ?? '0-0'),
      pending: Number(count ?? g.pending ?? 0),
      oldestPendingId: typeof smallest === 'string' ? smallest : null,
    };
  });
}

/**
 * Trims one partition stream below its safe threshold (`MINID ~`: whole macro nodes only, cheap,
 * and never past the threshold). Returns how many entries went.
 */
export async function trimStream(redis: RedisClient, stream: string, ignoreGroups: readonly string[] = []): Promise<number> {
  const threshold = trimThreshold(await readGroupPositions(redis, stream), ignoreGroups);
  if (threshold === null) return 0;
  return Number(await redis.xtrim(stream, 'MINID', '~', threshold));
}
