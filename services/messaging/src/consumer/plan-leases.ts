export interface LeasePlanInput {
  /** Partition count. */
  partitions: number;
  /** Holder of each partition's lease (index = partition), null when free. */
  owners: readonly (string | null)[];
  /** This consumer. */
  me: string;
  /** Partitions this consumer is already giving up (still leased to it until its worker stops). */
  releasing?: readonly number[];
  /** Consumers with a live heartbeat, this one included. */
  liveConsumers: number;
}

export interface LeasePlan {
  /** Fair share: ceil(partitions / live consumers). */
  target: number;
  /** Partitions to give up (highest first), when holding more than the share. */
  release: number[];
  /** Free partitions to try to take (SET NX may still lose a race), when holding fewer. */
  acquire: number[];
}

/**
 * Decides which leases to take or give up so that live consumers converge on equal shares: a new
 * consumer takes free partitions, an over-share one gives up its highest ones, and the partitions
 * of a consumer whose leases expired become free for the others. Pure; the lease manager runs it
 * every renewal.
 */
export function planLeases(input: LeasePlanInput): LeasePlan {
  const target = Math.ceil(input.partitions / Math.max(1, input.liveConsumers));
  const releasing = new Set(input.releasing ?? []);
  const mine: number[] = [];
  const free: number[] = [];
  for (let p = 0; p < input.partitions; p++) {
    const owner = input.owners[p] ?? null;
    if (owner === input.me && !releasing.has(p)) mine.push(p);
    else if (owner === null) free.push(p);
  }
  if (mine.length > target) return { target, release: mine.slice(target).reverse(), acquire: [] };
  // Start the search at a place derived from the consumer's name, so consumers starting together
  // mostly try different partitions instead of racing for the same ones.
  const offset = nameOffset(input.me, input.partitions);
  const ordered = free.sort(
    (a, b) => ((a - offset + input.partitions) % input.partitions) - ((b - offset + input.partitions) % input.partitions),
  );
  return { target, release: [], acquire: ordered.slice(0, Math.max(0, target - mine.length)) };
}

function nameOffset(name: string, partitions: number): number {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (Math.imul(hash, 31) + name.charCodeAt(i)) >>> 0;
  return hash % partitions;
}
