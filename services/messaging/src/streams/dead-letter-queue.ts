import { flatToObject, type RedisClient } from '../redis/create-redis.ts';
import { decodeEnvelope, ENVELOPE_FIELD, type MessageEnvelope } from './message-envelope.ts';
import { compareStreamIds, streamIdTimeMs } from './stream-id.ts';
import { DLQ_GROUP, type StreamKeys } from './stream-keys.ts';

// XACK first: if the entry is no longer pending (another owner handled it), nothing is added.
// XADD to the dead-letter stream, XACK and the optional XDEL happen in one script: no moment where
// the entry is in both places or in neither. On a cluster both keys carry the partition's hash tag
// (keys.dlq(partition)), so the script stays within one slot.
const MOVE_TO_DLQ = `
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked == 0 then return false end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
local id = redis.call('XADD', KEYS[2], '*', unpack(fields))
if ARGV[3] == '1' then redis.call('XDEL', KEYS[1], ARGV[2]) end
return id`;

// The dead letter goes back to the end of its partition stream as a new entry (delivery count 0),
// and leaves the dead-letter stream, atomically.
const REPLAY_FROM_DLQ = `
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then return false end
local fields = found[1][2]
local payload = nil
for i = 1, #fields, 2 do if fields[i] == ARGV[3] then payload = fields[i + 1] end end
if payload == nil then return redis.error_reply('NOPAYLOAD dead letter has no message payload') end
local id = redis.call('XADD', KEYS[2], '*', ARGV[3], payload)
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
return id`;

export interface DeadLetterInput {
  partition: number;
  group: string;
  /** The entry's id in its partition stream. */
  streamId: string;
  /** The entry's field list as read (kept whole, even when it does not decode). */
  fields: readonly string[];
  deliveries: number;
  lastError: string;
  /** Also XDEL the original entry; default false (trimming removes it; no tombstone keeps XINFO lag exact). */
  deleteOriginal?: boolean;
}

/** Moves one pending entry to the dead-letter stream; null when it was no longer pending. */
export async function moveToDeadLetter(redis: RedisClient, keys: StreamKeys, input: DeadLetterInput): Promise<string | null> {
  const original = flatToObject([...input.fields]);
  const payload = typeof original[ENVELOPE_FIELD] === 'string' ? original[ENVELOPE_FIELD] : null;
  const fields = [
    ...(payload !== null ? [ENVELOPE_FIELD, payload] : ['raw', JSON.stringify(input.fields)]),
    'partition',
    String(input.partition),
    'streamId',
    input.streamId,
    'group',
    input.group,
    'deliveries',
    String(input.deliveries),
    'error',
    input.lastError.slice(0, 2_000),
  ];
  const id = await redis.eval(
    MOVE_TO_DLQ,
    2,
    keys.stream(input.partition),
    keys.dlq(input.partition),
    input.group,
    input.streamId,
    input.deleteOriginal ? '1' : '0',
    ...fields,
  );
  return typeof id === 'string' ? id : null;
}

export interface DeadLetter {
  /**
   * What replay takes: the entry's id in its dead-letter stream, `<ms>-<seq>`; with one dead-letter
   * stream per partition (cluster layout) `<partition>:<ms>-<seq>`, since two partitions' streams
   * may hand out the same id.
   */
  id: string;
  deadAt: string;
  partition: number;
  streamId: string;
  group: string;
  deliveries: number;
  error: string;
  /** The message, when the entry decoded; otherwise `raw` holds the original fields. */
  message: MessageEnvelope | null;
  raw?: string;
}

/** A dead letter's place: which dead-letter stream (by a partition it holds) and the entry id there. */
interface DeadLetterRef {
  partition: number | null;
  streamId: string;
}

/** `<ms>-<seq>` or `<partition>:<ms>-<seq>`; null for anything else. */
export function parseDeadLetterId(id: string): DeadLetterRef | null {
  const match = /^(?:(\d{1,4}):)?(\d{1,20}-\d{1,20})$/.exec(id);
  if (!match) return null;
  return { partition: match[1] === undefined ? null : Number(match[1]), streamId: match[2] as string };
}

/** The dead-letter stream a ref points at, or null when it names none of this layout's. */
function streamOf(keys: StreamKeys, ref: DeadLetterRef): { key: string; partition: number | null } | null {
  if (keys.deadLetterStreams.length === 1) return ref.partition === null ? { key: keys.dlq(0), partition: null } : null;
  if (ref.partition === null || ref.partition >= keys.partitions) return null;
  return { key: keys.dlq(ref.partition), partition: ref.partition };
}

function toDeadLetter(id: string, flat: unknown, streamId: string = id): DeadLetter {
  const f = flatToObject(flat);
  const payload = typeof f[ENVELOPE_FIELD] === 'string' ? (f[ENVELOPE_FIELD] as string) : null;
  const decoded = payload === null ? null : decodeEnvelope([ENVELOPE_FIELD, payload]);
  return {
    id,
    deadAt: new Date(streamIdTimeMs(streamId)).toISOString(),
    partition: Number(f.partition),
    streamId: String(f.streamId ?? ''),
    group: String(f.group ?? ''),
    deliveries: Number(f.deliveries ?? 0),
    error: String(f.error ?? ''),
    message: decoded?.ok ? decoded.envelope : null,
    ...(decoded?.ok ? {} : { raw: payload ?? String(f.raw ?? '') }),
  };
}

/**
 * Dead letters oldest first, `limit` of them after `afterId` (exclusive), and how many there are in
 * all. With one dead-letter stream per partition the streams are read side by side and merged by
 * (entry id, partition), which is also the order `afterId` continues from.
 */
export async function listDeadLetters(
  redis: RedisClient,
  keys: StreamKeys,
  options: { limit: number; afterId?: string },
): Promise<{ total: number; items: DeadLetter[] }> {
  const after = options.afterId === undefined ? null : parseDeadLetterId(options.afterId);
  if (options.afterId !== undefined && (after === null || streamOf(keys, after) === null)) return { total: 0, items: [] };
  const single = keys.deadLetterStreams.length === 1;
  const pages = await Promise.all(
    keys.deadLetterStreams.map(async ({ key, partitions }) => {
      const partition = partitions[0] as number;
      // Past the cursor: exclusive in its own stream and those before it, inclusive in the later ones.
      const start = after === null ? '-' : single || partition <= (after.partition ?? 0) ? `(${after.streamId}` : after.streamId;
      const [entries, length] = await Promise.all([redis.xrange(key, start, '+', 'COUNT', options.limit), redis.xlen(key)]);
      return { partition, entries, length };
    }),
  );
  const merged = pages
    .flatMap(({ partition, entries }) => entries.map(([streamId, fields]) => ({ partition, streamId, fields })))
    .sort((a, b) => compareStreamIds(a.streamId, b.streamId) || a.partition - b.partition)
    .slice(0, options.limit);
  return {
    total: pages.reduce((sum, page) => sum + page.length, 0),
    items: merged.map((e) => toDeadLetter(single ? e.streamId : `${e.partition}:${e.streamId}`, e.fields, e.streamId)),
  };
}

export type ReplayOutcome =
  | { kind: 'replayed'; id: string; partition: number; streamId: string }
  | { kind: 'not-found'; id: string }
  | { kind: 'not-replayable'; id: string; reason: string };

/** Puts one dead letter back on its partition stream (a new entry at the end) and removes it from the DLQ. */
export async function replayDeadLetter(redis: RedisClient, keys: StreamKeys, id: string): Promise<ReplayOutcome> {
  const ref = parseDeadLetterId(id);
  const dlq = ref && streamOf(keys, ref);
  if (!ref || !dlq) return { kind: 'not-found', id };
  const found = await redis.xrange(dlq.key, ref.streamId, ref.streamId);
  if (found.length === 0) return { kind: 'not-found', id };
  const letter = toDeadLetter(id, found[0][1], ref.streamId);
  if (!letter.message) return { kind: 'not-replayable', id, reason: 'the dead letter holds no decodable message' };
  if (!Number.isInteger(letter.partition) || letter.partition < 0 || letter.partition >= keys.partitions) {
    return { kind: 'not-replayable', id, reason: `partition ${letter.partition} does not exist (STREAM_PARTITIONS=${keys.partitions})` };
  }
  if (dlq.partition !== null && dlq.partition !== letter.partition) {
    return {
      kind: 'not-replayable',
      id,
      reason: `the dead letter names partition ${letter.partition}, not ${dlq.partition} whose stream holds it`,
    };
  }
  try {
    const streamId = await redis.eval(REPLAY_FROM_DLQ, 2, dlq.key, keys.stream(letter.partition), ref.streamId, DLQ_GROUP, ENVELOPE_FIELD);
    if (typeof streamId !== 'string') return { kind: 'not-found', id };
    return { kind: 'replayed', id, partition: letter.partition, streamId };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOPAYLOAD')) return { kind: 'not-replayable', id, reason: error.message };
    throw error;
  }
}
