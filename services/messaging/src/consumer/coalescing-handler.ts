import type { MessageEnvelope } from '../streams/message-envelope.ts';
import type { EntryHandler, EntryResult } from './message-persister.ts';

export interface CoalescingOptions {
  /** Longest the first batch of a group waits for others; 0 hands every batch on at once. */
  windowMs: number;
  /** A group is handed on as soon as it holds this many envelopes. */
  maxEnvelopes: number;
}

interface Waiting {
  envelopes: readonly MessageEnvelope[];
  resolve(results: Map<string, EntryResult>): void;
  reject(error: unknown): void;
}

/**
 * Joins the batches that partition workers of one process hand over within `windowMs` into one
 * call of `inner` (for the persister: one statement and one commit instead of one per partition).
 * At 500 msg/s over 16 partitions nearly every worker's batch is one message, and the statement's
 * fixed cost (round trip, planning, commit) is paid per batch, not per message.
 *
 * What each worker sees is unchanged: its call resolves with the results of its own envelopes, in
 * its own order (a conversation belongs to one partition, so joining partitions reorders nothing
 * within a conversation). When the joined call fails, nothing of it committed, and each worker's
 * batch is handed to `inner` again on its own: a worker gets only its own batch's error (a poison
 * message, a lock wait, an outage) and deals with it as before, and the others are not held back
 * by it. A message id named by two workers of one group is reported persisted to the first and as a
 * duplicate to the later ones, as two entries of one batch are.
 */
export function coalesceHandler(inner: EntryHandler, options: CoalescingOptions): EntryHandler {
  if (options.windowMs <= 0) return inner;
  let group: Waiting[] = [];
  let count = 0;
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = group;
    group = [];
    count = 0;
    if (batch.length > 0) void run(batch);
  };

  /** One worker's batch on its own: its outcome is the inner handler's, whatever it is. */
  const alone = async (w: Waiting) => {
    try {
      w.resolve(await inner.handle(w.envelopes));
    } catch (error) {
      w.reject(error);
    }
  };

  const run = async (batch: Waiting[]) => {
    if (batch.length === 1) return alone(batch[0]);
    let joined: Map<string, EntryResult>;
    try {
      joined = await inner.handle(batch.flatMap((w) => w.envelopes));
    } catch {
      // Nothing committed: each batch again, on its own, with its own outcome.
      await Promise.all(batch.map(alone));
      return;
    }
    const reported = new Set<string>();
    for (const w of batch) {
      const mine = new Map<string, EntryResult>();
      for (const { messageId } of w.envelopes) {
        const result = joined.get(messageId);
        if (!result || mine.has(messageId)) continue;
        mine.set(messageId, reported.has(messageId) && result.status === 'persisted' ? { status: 'duplicate' } : result);
      }
      for (const id of mine.keys()) reported.add(id);
      w.resolve(mine);
    }
  };

  return {
    mode: inner.mode,
    handle(envelopes) {
      return new Promise((resolve, reject) => {
        if (count > 0 && count + envelopes.length > options.maxEnvelopes) flush();
        group.push({ envelopes, resolve, reject });
        count += envelopes.length;
        if (count >= options.maxEnvelopes) flush();
        else timer ??= setTimeout(flush, options.windowMs);
      });
    },
  };
}
