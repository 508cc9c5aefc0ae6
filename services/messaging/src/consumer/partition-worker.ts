/**
 * The consumer loop of one partition: while this process holds the partition's lease it is the only
 * reader of the partition stream, so a conversation's messages are handled in stream order.
 *
 * States and transitions (changed only in `setState`, announced as `worker:state` events):
 *   starting → backlog   every entry pending in the group on this partition (left by a dead or
 *                        departed owner) is claimed with XAUTOCLAIM JUSTID, min-idle 0
 *   backlog  → live      this consumer's pending entries, read from id 0 in order, are all handled
 *   live     → live      new entries read with '>' (blocking up to pollIntervalMs); every
 *                        reclaimIntervalMs a reclaim pass, every trimIntervalMs a trim
 *   live     → backlog   entries were left pending behind newer ones (a failed round, a held batch
 *                        given up, a lease that may have lapsed): this consumer's pending entries
 *                        are read again from 0 before anything new
 *   any      → stopping  stop() or a lost lease: the batch in hand finishes (commit, then ack)
 *   stopping → stopped   the loop has ended; its blocking connection is closed
 *
 * An entry is acknowledged only after the database committed it. While the database is unavailable
 * the batch is held and tried again as it is (no delivery spent, nothing overtakes it). An entry the
 * database refuses stays pending; the reclaimer takes it again once idle for claimMinIdleMs, and
 * after maxRetries deliveries moves it to the dead-letter stream (one script: XADD there, XACK here).
 */
import { EventEmitter } from 'node:events';
import type { Service } from '@cutover/service-kit';
import type { MessagingMetrics } from '../messaging-metrics.ts';
import { duplicateRedis, type RedisClient } from '../redis/create-redis.ts';
import { moveToDeadLetter } from '../streams/dead-letter-queue.ts';
import { decodeEnvelope, type MessageEnvelope } from '../streams/message-envelope.ts';
import type { StreamKeys } from '../streams/stream-keys.ts';
import { trimStream } from '../streams/stream-trimmer.ts';
import type { EntryHandler, EntryResult } from './message-persister.ts';
import { isTransientError } from './transient-error.ts';

export type WorkerState = 'starting' | 'backlog' | 'live' | 'stopping' | 'stopped';

export interface PartitionWorkerEvents {
  'worker:state': [{ partition: number; from: WorkerState; to: WorkerState }];
}

/** Wait after a failed Redis or database round before trying again. */
export const WORKER_ERROR_BACKOFF_MS = 1_000;
/** First and longest wait while a batch is held because the database is unavailable. */
export const HOLD_BACKOFF_FIRST_MS = 200;
export const HOLD_BACKOFF_MAX_MS = 5_000;
/** How often a worker whose lease may have lapsed looks again. */
export const NOT_OWNED_RECHECK_MS = 250;
/** Most reclaim rounds (XAUTOCLAIM calls) in one pass, so a huge PEL cannot starve new entries. */
export const MAX_RECLAIM_ROUNDS = 20;

export interface PartitionWorkerOptions {
  partition: number;
  keys: StreamKeys;
  group: string;
  consumerName: string;
  /** Shared connection for non-blocking commands; the worker duplicates it for its blocking reads. */
  redis: RedisClient;
  handler: EntryHandler;
  metrics: MessagingMetrics;
  logger: Service['logger'];
  batchSize: number;
  pollIntervalMs: number;
  claimMinIdleMs: number;
  reclaimIntervalMs: number;
  trimIntervalMs: number;
  maxRetries: number;
  /** Groups that never hold back trimming (the shadow group). */
  trimIgnoresGroups: readonly string[];
  /** Asked before each batch: false once the lease is lost (another consumer may own the partition). */
  owns(): boolean;
}

type RawEntry = [id: string, fields: string[] | null];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class PartitionWorker extends EventEmitter<PartitionWorkerEvents> {
  readonly partition: number;
  #state: WorkerState = 'starting';
  readonly #options: PartitionWorkerOptions;
  readonly #stream: string;
  /** Last failure per pending entry, carried into its dead letter. */
  readonly #lastErrors = new Map<string, string>();
  #blocking: RedisClient | undefined;
  #loop: Promise<void> | undefined;
  /** Entries were left pending out of order: read this consumer's backlog from 0 before anything new. */
  #resync = false;

  constructor(options: PartitionWorkerOptions) {
    super();
    this.#options = options;
    this.partition = options.partition;
    this.#stream = options.keys.stream(options.partition);
  }

  get state(): WorkerState {
    return this.#state;
  }

  start(): void {
    this.#loop ??= this.#run().finally(() => this.#setState('stopped'));
  }

  /**
   * Finishes the batch in hand, then ends the loop. A blocked read is cut by closing its
   * connection: entries Redis delivered at that instant stay pending, and the partition's next
   * owner claims them before reading anything newer.
   */
  async stop(): Promise<void> {
    if (this.#state !== 'stopped') this.#setState('stopping');
    this.#blocking?.disconnect();
    await this.#loop;
  }

  #setState(to: WorkerState): void {
    const from = this.#state;
    if (from === to || from === 'stopped' || (from === 'stopping' && to !== 'stopped')) return;
    this.#state = to;
    this.emit('worker:state', { partition: this.partition, from, to });
  }

  get #stopping(): boolean {
    return this.#state === 'stopping' || this.#state === 'stopped';
  }

  async #run(): Promise<void> {
    const o = this.#options;
    const blocking = duplicateRedis(o.redis, { connectionName: `${o.consumerName}:p${o.partition}`, maxRetriesPerRequest: null });
    this.#blocking = blocking;
    blocking.on('error', () => undefined); // reported through the failed reads
    try {
      let cursor = '0-0';
      let taken = false;
      let nextReclaim = Date.now() + o.reclaimIntervalMs;
      let nextTrim = Date.now() + o.trimIntervalMs;
      while (!this.#stopping) {
        try {
          if (!taken) {
            await this.#takeOver();
            taken = true;
            this.#setState('backlog');
            continue;
          }
          if (!o.owns()) {
            // Renewals are failing (or the lease is being handed over): read nothing until the manager decides.
            this.#resync = true;
            await sleep(NOT_OWNED_RECHECK_MS);
            continue;
          }
          const now = Date.now();
          if (now >= nextReclaim) {
            await this.#reclaim();
            nextReclaim = Date.now() + o.reclaimIntervalMs;
          }
          if (now >= nextTrim) {
            await this.#trim();
            nextTrim = Date.now() + o.trimIntervalMs;
          }
          if (this.#stopping) break;
          if (this.#resync) {
            this.#resync = false;
            cursor = '0-0';
            this.#setState('backlog');
          }
          if (cursor !== '>') {
            const entries = await this.#read(o.redis, cursor);
            if (entries.length === 0) {
              cursor = '>';
              this.#setState('live');
              continue;
            }
            cursor = entries[entries.length - 1][0];
            await this.#handleWithRetryLimit(entries);
          } else {
            const blockMs = Math.max(1, Math.min(o.pollIntervalMs, nextReclaim - Date.now(), nextTrim - Date.now()));
            const entries = await this.#read(blocking, '>', blockMs);
            if (entries.length > 0) await this.#handle(entries);
          }
        } catch (error) {
          if (this.#stopping) break;
          this.#resync = true;
          o.logger.warn({ err: error, partition: o.partition }, 'partition worker round failed; retrying');
          await sleep(WORKER_ERROR_BACKOFF_MS);
        }
      }
    } finally {
      blocking.disconnect();
    }
  }

  async #read(connection: RedisClient, id: string, blockMs?: number): Promise<RawEntry[]> {
    const o = this.#options;
    const args: (string | number)[] = ['GROUP', o.group, o.consumerName, 'COUNT', o.batchSize];
    if (blockMs !== undefined) args.push('BLOCK', blockMs);
    args.push('STREAMS', this.#stream, id);
    const reply = (await connection.call('XREADGROUP', ...args)) as [string, RawEntry[]][] | null;
    return reply?.[0]?.[1] ?? [];
  }

  /** Claims every entry pending on this partition, whoever held it, without counting a delivery. */
  async #takeOver(): Promise<void> {
    const o = this.#options;
    let cursor = '0-0';
    let claimed = 0;
    do {
      const [next, ids, deleted] = (await o.redis.xautoclaim(
        this.#stream,
        o.group,
        o.consumerName,
        0,
        cursor,
        'COUNT',
        1000,
        'JUSTID',
      )) as [string, string[], string[]?];
      claimed += ids.length;
      this.#noteDeleted(deleted ?? []);
      cursor = next;
    } while (cursor !== '0-0' && !this.#stopping);
    if (claimed > 0) o.logger.info({ partition: o.partition, claimed }, 'took over pending entries of the partition');
  }

  /** Entries idle past claimMinIdleMs are taken again; those delivered more than maxRetries times go to the DLQ. */
  async #reclaim(): Promise<void> {
    const o = this.#options;
    let cursor = '0-0';
    let rounds = 0;
    do {
      const [next, entries, deleted] = (await o.redis.xautoclaim(
        this.#stream,
        o.group,
        o.consumerName,
        o.claimMinIdleMs,
        cursor,
        'COUNT',
        o.batchSize,
      )) as [string, RawEntry[], string[]?];
      this.#noteDeleted(deleted ?? []);
      if (entries.length > 0) {
        o.metrics.reclaimed.inc({ partition: String(o.partition) }, entries.length);
        await this.#handleWithRetryLimit(entries);
      }
      cursor = next;
    } while (cursor !== '0-0' && !this.#stopping && ++rounds < MAX_RECLAIM_ROUNDS);
  }

  async #trim(): Promise<void> {
    const o = this.#options;
    const trimmed = await trimStream(o.redis, this.#stream, o.trimIgnoresGroups);
    if (trimmed > 0) o.metrics.trimmed.inc({ partition: String(o.partition) }, trimmed);
  }

  #noteDeleted(ids: readonly string[]): void {
    if (ids.length === 0) return;
    const o = this.#options;
    o.metrics.deletedPending.inc({ partition: String(o.partition) }, ids.length);
    o.logger.warn(
      { partition: o.partition, ids: ids.slice(0, 20), count: ids.length },
      'pending entries were deleted from the stream before an ack',
    );
    for (const id of ids) this.#lastErrors.delete(id);
  }

  /** Redelivered entries: the ones past their delivery budget go to the DLQ, the rest are handled. */
  async #handleWithRetryLimit(entries: RawEntry[]): Promise<void> {
    const o = this.#options;
    if (o.handler.mode === 'shadow') return this.#handle(entries);
    const deliveries = await this.#deliveryCounts(entries);
    const fresh: RawEntry[] = [];
    for (const entry of entries) {
      const count = deliveries.get(entry[0]) ?? 0;
      if (count > o.maxRetries && entry[1] !== null) await this.#deadLetter(entry, count - 1);
      else fresh.push(entry);
    }
    if (fresh.length > 0) await this.#handle(fresh);
  }

  async #deliveryCounts(entries: RawEntry[]): Promise<Map<string, number>> {
    const o = this.#options;
    const ids = entries.map(([id]) => id);
    const rows = (await o.redis.xpending(this.#stream, o.group, ids[0], ids[ids.length - 1], ids.length + 100, o.consumerName)) as [
      string,
      string,
      number,
      number,
    ][];
    return new Map(rows.map(([id, , , count]) => [id, Number(count)]));
  }

  async #deadLetter(entry: RawEntry, deliveries: number): Promise<void> {
    const o = this.#options;
    const [id, fields] = entry;
    const lastError = this.#lastErrors.get(id) ?? `failed ${deliveries} deliveries (the last error was seen by another consumer)`;
    const dlqId = await moveToDeadLetter(o.redis, o.keys, {
      partition: o.partition,
      group: o.group,
      streamId: id,
      fields: fields ?? [],
      deliveries,
      lastError,
    });
    this.#lastErrors.delete(id);
    if (dlqId === null) return;
    o.metrics.deadLettered.inc({ partition: String(o.partition) });
    o.logger.error({ partition: o.partition, streamId: id, dlqId, deliveries, lastError }, 'entry moved to the dead-letter stream');
  }

  /** Decodes, hands the batch to the handler (one entry at a time after a batch failure), then acks what committed. */
  async #handle(entries: RawEntry[]): Promise<void> {
    const o = this.#options;
    if (!o.owns()) {
      // Left pending: a new owner claims them before reading anything newer, or this worker
      // re-reads its backlog first if it keeps the partition.
      this.#resync = true;
      return;
    }
    const startedAt = performance.now();
    const ack: string[] = [];
    const valid: { id: string; envelope: MessageEnvelope }[] = [];
    for (const [id, fields] of entries) {
      if (fields === null) {
        // Deleted while pending: there is nothing left to persist or dead-letter.
        this.#noteDeleted([id]);
        ack.push(id);
        continue;
      }
      const decoded = decodeEnvelope(fields);
      if (decoded.ok) valid.push({ id, envelope: decoded.envelope });
      else this.#fail(id, decoded.reason);
    }
    const results = await this.#runHolding(valid);
    if (results === null) {
      this.#resync = true;
      return;
    }
    const seen = new Set<string>();
    for (const { id, envelope } of valid) {
      const result = results.get(envelope.messageId);
      if (!result) continue;
      // The same message twice in one batch (a replay next to its original): the second is a duplicate.
      const status = seen.has(envelope.messageId) && result.status !== 'error' ? 'duplicate' : result.status;
      seen.add(envelope.messageId);
      if (status === 'error') continue;
      ack.push(id);
      this.#lastErrors.delete(id);
      o.metrics.processed.inc({ status });
      if (status === 'persisted' && result.acceptedAt) o.metrics.deliveryLatency.observe((Date.now() - result.acceptedAt.getTime()) / 1000);
    }
    // Shadow mode never retries or dead-letters: everything it read is acknowledged on its own group.
    if (o.handler.mode === 'shadow') ack.splice(0, ack.length, ...entries.map(([id]) => id));
    if (ack.length > 0) await o.redis.xack(this.#stream, o.group, ...ack);
    o.metrics.processingDuration.observe({ mode: o.handler.mode }, (performance.now() - startedAt) / 1000);
  }

  /**
   * Runs the handler; while the database is unavailable (a transient error) the batch is held and
   * tried again as it is, with a growing pause, so an outage neither spends deliveries (which would
   * send healthy messages to the dead-letter stream) nor lets later entries overtake these.
   * Null when the worker stopped or lost its partition meanwhile (the entries stay pending).
   */
  async #runHolding(valid: { id: string; envelope: MessageEnvelope }[]): Promise<Map<string, EntryResult> | null> {
    const o = this.#options;
    for (let backoffMs = HOLD_BACKOFF_FIRST_MS; ; backoffMs = Math.min(backoffMs * 2, HOLD_BACKOFF_MAX_MS)) {
      try {
        return await this.#runHandler(valid);
      } catch (error) {
        if (!isTransientError(error)) throw error;
        o.logger.warn({ err: error, partition: o.partition, entries: valid.length, backoffMs }, 'database unavailable; holding the batch');
        await sleep(backoffMs);
        if (this.#stopping || !o.owns()) return null;
      }
    }
  }

  /** Throws only transient errors; data errors are recorded per entry (one at a time after a batch failure). */
  async #runHandler(valid: { id: string; envelope: MessageEnvelope }[]): Promise<Map<string, EntryResult>> {
    const o = this.#options;
    if (valid.length === 0) return new Map();
    try {
      return await o.handler.handle(valid.map((v) => v.envelope));
    } catch (error) {
      if (isTransientError(error)) throw error;
      if (valid.length === 1 || o.handler.mode === 'shadow') {
        for (const { id } of valid) this.#fail(id, errorText(error));
        return new Map();
      }
      // One bad message must not hold back the others: isolate it by handling one at a time, in order.
      const results = new Map<string, EntryResult>();
      for (const item of valid) {
        try {
          for (const [messageId, result] of await o.handler.handle([item.envelope])) results.set(messageId, result);
        } catch (single) {
          if (isTransientError(single)) throw single;
          this.#fail(item.id, errorText(single));
        }
      }
      return results;
    }
  }

  #fail(id: string, reason: string): void {
    const o = this.#options;
    this.#lastErrors.set(id, reason);
    o.metrics.processed.inc({ status: 'error' });
    o.logger.warn({ partition: o.partition, streamId: id, reason }, 'entry failed; it stays pending for the reclaimer');
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
