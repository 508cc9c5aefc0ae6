/**
 * Partition ownership for one consumer process: one Redis key per partition
 * (`msg:lease:<n>` = consumer id, SET NX PX leaseMs), renewed every leaseMs/3, plus a heartbeat in
 * a sorted set of live consumers so that everyone knows the fair share.
 *
 * Each partition, seen from this process:
 *   free      → owned      SET NX won: its worker starts (lease:acquired)
 *   owned     → releasing  over the fair share: its worker is asked to stop; the lease is still renewed
 *   releasing → free       the worker stopped: the lease is deleted if still ours (lease:released)
 *   owned     → free       renewal found the key gone or someone else's: the worker is stopped (lease:lost)
 *
 * A consumer killed without warning stops renewing; its leases and heartbeat expire after leaseMs,
 * and the survivors take the partitions over on their next renewal.
 */
import { EventEmitter } from 'node:events';
import type { RedisClient } from '../redis/create-redis.ts';
import { execBySlot, type SlotCommand } from '../redis/pipeline-by-slot.ts';
import { partitionList, type StreamKeys } from '../streams/stream-keys.ts';
import { planLeases } from './plan-leases.ts';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** EVAL of a one-key script, as a pipeline command. */
function evalOnKey(script: string, key: string, ...args: (string | number)[]): SlotCommand {
  return { key, command: 'EVAL', args: [script, 1, key, ...args] };
}

/**
 * What a lease key holds: the consumer's name and its mode (`vm.123/write`), so that anyone reading
 * the leases knows which partitions are being persisted right now and which only shadowed.
 */
export function leaseHolderId(consumerName: string, mode: 'write' | 'shadow'): string {
  return `${consumerName}/${mode}`;
}

/** The mode part of a lease holder id; null for a free partition. */
export function leaseHolderMode(holder: string | null): 'write' | 'shadow' | null {
  if (holder === null) return null;
  return holder.endsWith('/shadow') ? 'shadow' : 'write';
}

export interface LeaseEvents {
  'lease:acquired': [{ partition: number }];
  'lease:released': [{ partition: number }];
  'lease:lost': [{ partition: number }];
  'lease:error': [{ error: unknown }];
}

export interface PartitionLeaseManagerOptions {
  redis: RedisClient;
  keys: StreamKeys;
  /** What the lease keys hold for this process: `leaseHolderId(name, mode)`. */
  consumerId: string;
  leaseMs: number;
  /** Start the partition's worker. */
  onAcquired(partition: number): void;
  /** Stop the partition's worker; the lease is released only after this resolves. */
  onStopping(partition: number): Promise<void>;
}

type Holding = 'owned' | 'releasing';

export class PartitionLeaseManager extends EventEmitter<LeaseEvents> {
  readonly #o: PartitionLeaseManagerOptions;
  readonly #held = new Map<number, Holding>();
  /** Partitions whose lease was lost while their worker is still finishing: not taken again until it has. */
  readonly #stoppingLost = new Set<number>();
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> = Promise.resolve();
  #stopped = false;
  /** When the last renewal round succeeded; a lease not renewed for leaseMs may belong to someone else. */
  #renewedAt = 0;

  constructor(options: PartitionLeaseManagerOptions) {
    super();
    this.#o = options;
  }

  get renewIntervalMs(): number {
    return Math.max(100, Math.floor(this.#o.leaseMs / 3));
  }

  /**
   * True while this process holds the partition (owned or still releasing) and its lease cannot
   * have expired: when renewals fail (Redis unreachable) a worker stops handling batches once
   * leaseMs has passed since the last successful renewal.
   */
  owns(partition: number): boolean {
    return this.#held.has(partition) && Date.now() - this.#renewedAt < this.#o.leaseMs;
  }

  owned(): number[] {
    return [...this.#held.entries()].filter(([, h]) => h === 'owned').map(([p]) => p);
  }

  async start(): Promise<void> {
    await this.#runTick();
  }

  /** Stops every worker, releases every lease and leaves the set of live consumers. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#tick;
    const partitions = [...this.#held.keys()];
    await Promise.all(partitions.map((p) => this.#o.onStopping(p)));
    const { redis, keys, consumerId } = this.#o;
    await execBySlot(redis, [
      ...partitions.map((p) => evalOnKey(RELEASE, keys.lease(p), consumerId)),
      { key: keys.consumers, command: 'ZREM', args: [keys.consumers, consumerId] },
    ]);
    for (const p of partitions) {
      this.#held.delete(p);
      this.emit('lease:released', { partition: p });
    }
  }

  #runTick(): Promise<void> {
    this.#tick = this.#renewAndBalance()
      .catch((error) => {
        this.emit('lease:error', { error });
      })
      .finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(() => void this.#runTick(), this.renewIntervalMs);
      });
    return this.#tick;
  }

  async #renewAndBalance(): Promise<void> {
    const { redis, keys, consumerId, leaseMs } = this.#o;
    const now = Date.now();
    const held = [...this.#held.keys()];
    // One pipeline (one per slot on a cluster, where the lease keys are in their partitions' slots).
    const results = await execBySlot(redis, [
      { key: keys.consumers, command: 'ZADD', args: [keys.consumers, now + leaseMs, consumerId] },
      { key: keys.consumers, command: 'ZREMRANGEBYSCORE', args: [keys.consumers, '-inf', now] },
      { key: keys.consumers, command: 'ZCARD', args: [keys.consumers] },
      ...held.map((p) => evalOnKey(RENEW, keys.lease(p), consumerId, leaseMs)),
      ...partitionList(keys.partitions).map((p): SlotCommand => ({ key: keys.lease(p), command: 'GET', args: [keys.lease(p)] })),
    ]);
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
    this.#renewedAt = now;
    const live = Number(results[2]?.[1]);
    const owners = results.slice(3 + held.length).map(([, owner]) => (owner as string | null) ?? null);

    for (const [i, p] of held.entries()) {
      if (Number(results[3 + i]?.[1]) === 1 || this.#stopped) continue;
      const wasReleasing = this.#held.get(p) === 'releasing';
      this.#held.delete(p);
      if (!wasReleasing) {
        this.emit('lease:lost', { partition: p });
        // Until the old worker has stopped (its batch may still be in flight), a new one for the same
        // partition would claim and persist the same entries beside it and could number a
        // conversation out of order.
        this.#stoppingLost.add(p);
        void this.#o
          .onStopping(p)
          .catch((error: unknown) => this.emit('lease:error', { error }))
          .finally(() => this.#stoppingLost.delete(p));
      }
    }
    if (this.#stopped) return;

    const releasing = [...this.#held.entries()].filter(([, h]) => h === 'releasing').map(([p]) => p);
    const plan = planLeases({ partitions: keys.partitions, owners, me: consumerId, releasing, liveConsumers: live });
    for (const p of plan.release) {
      this.#held.set(p, 'releasing');
      void this.#release(p);
    }
    for (const p of plan.acquire) {
      if (this.#stoppingLost.has(p)) continue;
      const won = await redis.set(keys.lease(p), consumerId, 'PX', leaseMs, 'NX');
      if (won !== 'OK' || this.#stopped) continue;
      this.#held.set(p, 'owned');
      this.emit('lease:acquired', { partition: p });
      this.#o.onAcquired(p);
    }
  }

  async #release(partition: number): Promise<void> {
    try {
      await this.#o.onStopping(partition);
      if (this.#held.get(partition) !== 'releasing') return;
      await this.#o.redis.eval(RELEASE, 1, this.#o.keys.lease(partition), this.#o.consumerId);
      this.#held.delete(partition);
      this.emit('lease:released', { partition });
    } catch (error) {
      this.emit('lease:error', { error });
    }
  }
}
