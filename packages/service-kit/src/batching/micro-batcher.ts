export interface MicroBatcherOptions<I, O> {
  /** Most items per run. */
  maxBatch: number;
  /** Runs at once; items submitted while all are busy wait and form the next batch. */
  concurrency: number;
  /** Handles a batch; returns one result per item, in order. A throw rejects every item of the batch. */
  run(items: I[]): Promise<O[]>;
}

export interface MicroBatcher<I, O> {
  submit(item: I): Promise<O>;
  /** Items waiting or running. */
  readonly size: number;
  /** Resolves once nothing waits or runs. */
  drain(): Promise<void>;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

/**
 * Groups concurrent submissions without adding delay: an idle batcher runs what arrived in the
 * current turn of the event loop at once; under load, whatever arrives while every slot is busy
 * becomes the next batch. Batches grow with load and shrink to one when traffic is light.
 */
export function createMicroBatcher<I, O>(options: MicroBatcherOptions<I, O>): MicroBatcher<I, O> {
  const queue: Waiting<I, O>[] = [];
  let running = 0;
  let scheduled = false;
  let idleWaiters: (() => void)[] = [];

  const settleIdle = () => {
    if (running > 0 || queue.length > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const pump = () => {
    scheduled = false;
    while (running < options.concurrency && queue.length > 0) {
      const batch = queue.splice(0, options.maxBatch);
      running++;
      options
        .run(batch.map((w) => w.item))
        .then(
          (results) => {
            if (results.length !== batch.length) throw new Error(`batch of ${batch.length} returned ${results.length} results`);
            for (const [i, w] of batch.entries()) w.resolve(results[i]);
          },
          (error: unknown) => {
            for (const w of batch) w.reject(error);
          },
        )
        .catch((error: unknown) => {
          for (const w of batch) w.reject(error);
        })
        .finally(() => {
          running--;
          pump();
          settleIdle();
        });
    }
  };

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(pump);
        }
      });
    },
    get size() {
      return queue.length + running;
    },
    drain() {
      if (running === 0 && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
