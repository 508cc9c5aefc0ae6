import type { Queryable } from '../db/with-transaction.ts';

/**
 * Recent made-of and where-used listings, each kept with the genealogy version it was read at
 * (table genealogy_version, raised by triggers in the transaction of every change to the links:
 * migration 0007). A listing is served again only while the version in the database is the same,
 * so every instance sees a change as soon as it commits. The version is read before the listing:
 * a change committed between the two leaves an entry newer than its version, which the next
 * request reads again, never an older one.
 *
 * Bounded by the number of listed nodes it holds (`maxNodes`, each listing counted by `size`); the
 * least recently used go first.
 */
export interface TraversalCache {
  get<T>(db: Queryable, key: string, load: () => Promise<T>, size: (listing: T) => number): Promise<T>;
}

export function createTraversalCache(options: { maxNodes: number }): TraversalCache {
  const entries = new Map<string, { version: string; listing: unknown; size: number }>();
  let held = 0;
  const forget = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    held -= entry.size;
  };
  return {
    async get<T>(db: Queryable, key: string, load: () => Promise<T>, size: (listing: T) => number): Promise<T> {
      if (options.maxNodes <= 0) return load();
      const { rows } = await db.query<{ version: string }>({
        name: 'genealogy-version',
        text: 'SELECT version FROM genealogy_version WHERE id = 1',
      });
      const version = rows[0]?.version ?? '0';
      const cached = entries.get(key);
      if (cached && cached.version === version) {
        // Most recently used last (a Map keeps insertion order).
        entries.delete(key);
        entries.set(key, cached);
        // A key is always loaded by the same function: its entry holds a T.
        return cached.listing as T;
      }
      forget(key);
      const listing = await load();
      const nodes = size(listing);
      if (nodes <= options.maxNodes) {
        entries.set(key, { version, listing, size: nodes });
        held += nodes;
        for (const oldest of entries.keys()) {
          if (held <= options.maxNodes) break;
          forget(oldest);
        }
      }
      return listing;
    },
  };
}
