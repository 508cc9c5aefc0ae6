/** The consumer group that persists messages (created at id 0 with MKSTREAM by every process at start). */
export const PERSISTENCE_GROUP = 'persistence-workers';
/** The group shadow-mode consumers read on: a dry run that never holds back the real group or trimming. */
export const SHADOW_GROUP = 'persistence-shadow';
/** The dead-letter stream's group, for whoever processes dead letters. */
export const DLQ_GROUP = 'dlq-processors';

/**
 * Where the keys go. `single` (one Redis): the names every release before cluster support used, one
 * dead-letter stream. `cluster` (REDIS_CLUSTER_ENABLED): each partition's stream, lease and
 * dead-letter stream share the hash tag `{msg:<n>}`, so they sit in one slot and a script may touch
 * them together; the 16 tags spread 5/6/5 over the three masters of a default `redis-cli --cluster
 * create` split.
 */
export type KeyLayout = 'single' | 'cluster';

/** Every Redis key the service uses, under one prefix. */
export interface StreamKeys {
  readonly prefix: string;
  readonly partitions: number;
  readonly layout: KeyLayout;
  /** `<prefix>msg:stream:<partition>`; cluster: `<prefix>{msg:<partition>}:stream`. */
  stream(partition: number): string;
  /** The dead-letter stream of a partition's entries: `<prefix>msg:dlq` for all; cluster: `<prefix>{msg:<partition>}:dlq`. */
  dlq(partition: number): string;
  /** Every distinct dead-letter stream, with the partitions it holds (one entry with all of them on a single Redis). */
  readonly deadLetterStreams: readonly { key: string; partitions: readonly number[] }[];
  /** `<prefix>msg:lease:<partition>`: which consumer owns the partition; cluster: `<prefix>{msg:<partition>}:lease`. */
  lease(partition: number): string;
  /** `<prefix>msg:consumers`: sorted set of live consumers, scored by heartbeat expiry (ms); cluster: `<prefix>{msg}:consumers`. */
  readonly consumers: string;
}

export function buildStreamKeys(prefix: string, partitions: number, layout: KeyLayout = 'single'): StreamKeys {
  if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  if (layout === 'cluster') {
    if (/[{}]/.test(prefix)) throw new RangeError('a cluster key prefix must not contain { or }: the keys carry their own hash tags');
    const tag = (partition: number) => `${prefix}{msg:${partition}}`;
    return {
      prefix,
      partitions,
      layout,
      stream: (partition) => `${tag(partition)}:stream`,
      dlq: (partition) => `${tag(partition)}:dlq`,
      deadLetterStreams: partitionList(partitions).map((p) => ({ key: `${tag(p)}:dlq`, partitions: [p] })),
      lease: (partition) => `${tag(partition)}:lease`,
      consumers: `${prefix}{msg}:consumers`,
    };
  }
  const dlq = `${prefix}msg:dlq`;
  return {
    prefix,
    partitions,
    layout,
    stream: (partition) => `${prefix}msg:stream:${partition}`,
    dlq: () => dlq,
    deadLetterStreams: [{ key: dlq, partitions: partitionList(partitions) }],
    lease: (partition) => `${prefix}msg:lease:${partition}`,
    consumers: `${prefix}msg:consumers`,
  };
}

/** 0..partitions-1, for loops. */
export function partitionList(partitions: number): number[] {
  return Array.from({ length: partitions }, (_, i) => i);
}
