import type { DeploymentStore, EventRecord } from '../store/deployment-store.ts';

/** A recorded deployment event, as the feed hands it on. */
export type FeedEvent = EventRecord & { deploymentId: number };

/** How often the feed reads new events while a page is open (an indexed read of the events table). */
export const LIVE_POLL_MS = 50;
/** Events read at most at once. */
const BATCH = 500;

/**
 * One tail of the controller's events table for every listener (each open page and the metrics):
 * woken at once by events this process records, and polling for those another process records
 * (a deploy run by an older CLI, a test) only while a page is open. While nobody watches it never
 * polls: cutover's own metrics catch up when scraped (catchUp). Pages never poll: they get what
 * the feed reads, pushed.
 */
export class EventFeed {
  readonly #store: DeploymentStore;
  readonly #listeners = new Set<(batch: FeedEvent[]) => void>();
  #lastId: number;
  #timer: NodeJS.Timeout | null = null;
  #wakeQueued = false;
  #live = 0;
  #unhook: (() => void) | null = null;

  constructor(store: DeploymentStore) {
    this.#store = store;
    this.#lastId = store.lastEventId();
  }

  start(): void {
    this.#unhook = this.#store.onEventAdded(() => this.wake());
    this.#schedule();
  }

  stop(): void {
    this.#unhook?.();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Listens to every new event; `live` listeners (open pages) make the feed poll fast. */
  subscribe(listener: (batch: FeedEvent[]) => void, options: { live?: boolean } = {}): () => void {
    this.#listeners.add(listener);
    if (options.live) {
      this.#live++;
      this.#schedule();
    }
    return () => {
      if (this.#listeners.delete(listener) && options.live) this.#live--;
    };
  }

  /** Reads every new event now (a metrics scrape: what another process recorded since the last read). */
  catchUp(): void {
    while (this.#read() >= BATCH) {
      // a full batch: read on
    }
  }

  /** Reads new events soon (coalesced: many wakes in one turn read once). */
  wake(): void {
    if (this.#wakeQueued) return;
    this.#wakeQueued = true;
    setImmediate(() => {
      this.#wakeQueued = false;
      this.#read();
    });
  }

  /** Polls while a page is open; with none, no timer runs. */
  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#live === 0) return;
    this.#timer = setTimeout(() => {
      this.#read();
      this.#schedule();
    }, LIVE_POLL_MS);
    this.#timer.unref();
  }

  /** Reads and hands on the next batch; answers how many events it read. */
  #read(): number {
    let batch: FeedEvent[];
    try {
      batch = this.#store.eventsSince(this.#lastId, BATCH);
    } catch {
      return 0; // the store is closing; the next read tries again
    }
    if (batch.length === 0) return 0;
    this.#lastId = batch[batch.length - 1].id;
    for (const listener of this.#listeners) {
      try {
        listener(batch);
      } catch {
        // one listener's failure does not stop the others
      }
    }
    if (batch.length >= BATCH) this.wake();
    return batch.length;
  }
}
