import type { DeploymentStore, EventRecord } from '../store/deployment-store.ts';

/** A recorded deployment event, as the feed hands it on. */
export type FeedEvent = EventRecord & { deploymentId: number };

/** How often the feed reads new events while a page is open (an indexed read of the events table). */
export const LIVE_POLL_MS = 50;
/** How often it reads them while nobody watches (cutover's own metrics still follow every event). */
export const IDLE_POLL_MS = 1000;

/**
 * One tail of the controller's events table for every listener (each open page and the metrics):
 * woken at once by events this process records, and polling for those another process records
 * (a deploy run by an older CLI, a test). Pages never poll: they get what the feed reads, pushed.
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

  /** Reads new events soon (coalesced: many wakes in one turn read once). */
  wake(): void {
    if (this.#wakeQueued) return;
    this.#wakeQueued = true;
    setImmediate(() => {
      this.#wakeQueued = false;
      this.#read();
    });
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        this.#read();
        this.#schedule();
      },
      this.#live > 0 ? LIVE_POLL_MS : IDLE_POLL_MS,
    );
    this.#timer.unref();
  }

  #read(): void {
    let batch: FeedEvent[];
    try {
      batch = this.#store.eventsSince(this.#lastId);
    } catch {
      return; // the store is closing; the next read tries again
    }
    if (batch.length === 0) return;
    this.#lastId = batch[batch.length - 1].id;
    for (const listener of this.#listeners) {
      try {
        listener(batch);
      } catch {
        // one listener's failure does not stop the others
      }
    }
    if (batch.length >= 500) this.wake();
  }
}
