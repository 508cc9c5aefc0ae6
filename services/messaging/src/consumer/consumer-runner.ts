import type { Service } from '@cutover/service-kit';
import type { MessagingMetrics } from '../messaging-metrics.ts';
import type { RedisClient } from '../redis/create-redis.ts';
import { partitionList, type StreamKeys } from '../streams/stream-keys.ts';
import type { EntryHandler } from './message-persister.ts';
import { leaseHolderId, PartitionLeaseManager } from './partition-lease-manager.ts';
import { PartitionWorker, type PartitionWorkerOptions } from './partition-worker.ts';

export interface ConsumerRunnerOptions
  extends Omit<PartitionWorkerOptions, 'partition' | 'owns' | 'consumerName' | 'handler' | 'logger' | 'metrics'> {
  consumerName: string;
  handler: EntryHandler;
  leaseMs: number;
  metrics: MessagingMetrics;
  logger: Service['logger'];
}

export interface ConsumerRunner {
  readonly leases: PartitionLeaseManager;
  /** Partitions whose worker runs here now. */
  workers(): number[];
  start(): Promise<void>;
  /** Every worker finishes its batch, leases are released, and this consumer leaves the group if it has nothing pending. */
  stop(): Promise<void>;
}

/** One worker per partition this process holds a lease for; the lease manager decides which. */
export function createConsumerRunner(options: ConsumerRunnerOptions): ConsumerRunner {
  const { logger, metrics } = options;
  const workers = new Map<number, PartitionWorker>();
  const leases = new PartitionLeaseManager({
    redis: options.redis,
    keys: options.keys,
    consumerId: leaseHolderId(options.consumerName, options.handler.mode),
    leaseMs: options.leaseMs,
    onAcquired(partition) {
      const worker = new PartitionWorker({ ...options, partition, owns: () => leases.owns(partition) });
      worker.on('worker:state', ({ from, to }) => logger.debug({ partition, from, to }, 'partition worker state'));
      workers.set(partition, worker);
      metrics.partitionsOwned.set(workers.size);
      worker.start();
      logger.info({ partition, consumer: options.consumerName, mode: options.handler.mode }, 'partition worker started');
    },
    async onStopping(partition) {
      const worker = workers.get(partition);
      if (!worker) return;
      await worker.stop();
      if (workers.get(partition) === worker) workers.delete(partition);
      metrics.partitionsOwned.set(workers.size);
      logger.info({ partition, consumer: options.consumerName }, 'partition worker stopped');
    },
  });
  leases.on('lease:lost', ({ partition }) => logger.warn({ partition }, 'partition lease lost; its worker stops'));
  leases.on('lease:error', ({ error }) => logger.warn({ err: error }, 'partition lease renewal failed'));

  return {
    leases,
    workers: () => [...workers.keys()].sort((a, b) => a - b),
    start: () => leases.start(),
    async stop() {
      await leases.stop();
      await leaveGroup(options.redis, options.keys, options.group, options.consumerName).catch((error) =>
        logger.warn({ err: error }, 'could not remove this consumer from its group'),
      );
    },
  };
}

/**
 * Deletes this consumer's name from the group on every partition where it holds nothing pending
 * (XGROUP DELCONSUMER would drop pending entries, so those names stay until someone claims them).
 */
async function leaveGroup(redis: RedisClient, keys: StreamKeys, group: string, consumer: string): Promise<void> {
  for (const partition of partitionList(keys.partitions)) {
    const stream = keys.stream(partition);
    const pending = (await redis.xpending(stream, group, '-', '+', 1, consumer)) as unknown[];
    if (pending.length === 0) await redis.xgroup('DELCONSUMER', stream, group, consumer);
  }
}
