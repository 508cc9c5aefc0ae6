import { type FileHandle, open, stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';

/** How often followLog looks for new bytes (default 200 ms). */
export const DEFAULT_FOLLOW_POLL_MS = 200;
const CHUNK_BYTES = 64 * 1024;

/**
 * The last `lines` lines of an instance log. When the live file holds fewer (it was just rotated),
 * the rest come from `<file>.1`. A missing log gives no lines.
 */
export async function readLogTail(file: string, lines: number): Promise<string[]> {
  if (lines <= 0) return [];
  const current = await tailLines(file, lines);
  if (current.length >= lines) return current;
  const older = await tailLines(`${file}.1`, lines - current.length);
  return [...older, ...current];
}

export interface FollowLogOptions {
  /** Default DEFAULT_FOLLOW_POLL_MS. */
  pollIntervalMs?: number;
  /** Start with the lines already in the file instead of only new ones (default false). */
  fromStart?: boolean;
}

/**
 * Calls onLine for every complete line appended to `file` until `signal` aborts; resolves then.
 * Survives the supervisor's copy-and-truncate rotation: the unread tail of the old content is read
 * from `<file>.1` before continuing at the start of the truncated file. A file replaced by rename
 * is drained through the old descriptor, then the new file is followed from its start.
 */
export async function followLog(
  file: string,
  onLine: (line: string) => void,
  signal: AbortSignal,
  options: FollowLogOptions = {},
): Promise<void> {
  const pollMs = options.pollIntervalMs ?? DEFAULT_FOLLOW_POLL_MS;
  const lines = new LineSplitter(onLine);
  let handle: FileHandle | null = null;
  let ino = 0;
  let offset = 0;
  let fromStart = options.fromStart ?? false;
  let rotated = await rotatedSignature(file);
  try {
    while (!signal.aborted) {
      if (!handle) {
        handle = await openIfExists(file);
        if (handle) {
          const st = await handle.stat();
          ino = st.ino;
          offset = fromStart ? 0 : st.size;
        }
        // A file that appears later is new content: follow it from its first byte.
        fromStart = true;
      } else {
        const pathStat = await stat(file).catch(() => null);
        if (pathStat && pathStat.ino !== ino) {
          await readRange(handle, offset, (await handle.stat()).size, lines);
          await handle.close();
          handle = null;
          continue;
        }
        const size = (await handle.stat()).size;
        const signature = await rotatedSignature(file);
        if (signature !== rotated) {
          await readUnreadFromRotated(`${file}.1`, offset, lines);
          offset = 0;
        } else if (size < offset) {
          // Truncated by someone else: the unread bytes are gone.
          offset = 0;
        }
        rotated = signature;
        const end = (await handle.stat()).size;
        offset = await readRange(handle, offset, end, lines);
      }
      await sleep(pollMs, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    await handle?.close();
  }
}

class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  readonly #onLine: (line: string) => void;
  #partial = '';

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  push(chunk: Buffer): void {
    const parts = (this.#partial + this.#decoder.write(chunk)).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) this.#onLine(line);
  }
}

async function readRange(handle: FileHandle, from: number, to: number, lines: LineSplitter): Promise<number> {
  let position = from;
  while (position < to) {
    const buffer = Buffer.alloc(Math.min(CHUNK_BYTES, to - position));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) break;
    lines.push(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return position;
}

async function readUnreadFromRotated(rotatedFile: string, offset: number, lines: LineSplitter): Promise<void> {
  const handle = await openIfExists(rotatedFile);
  if (!handle) return;
  try {
    const { size } = await handle.stat();
    if (size > offset) await readRange(handle, offset, size, lines);
  } finally {
    await handle.close();
  }
}

/** Changes whenever a rotation writes a new `.1`, even when the live file has already grown past the old offset again. */
async function rotatedSignature(file: string): Promise<string> {
  const st = await stat(`${file}.1`).catch(() => null);
  return st ? `${st.ino}:${st.mtimeMs}:${st.size}` : '';
}

async function openIfExists(file: string): Promise<FileHandle | null> {
  try {
    return await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function tailLines(file: string, count: number): Promise<string[]> {
  const handle = await openIfExists(file);
  if (!handle) return [];
  try {
    const { size } = await handle.stat();
    const chunks: Buffer[] = [];
    let position = size;
    let newlines = 0;
    // One newline more than lines wanted, so the first line kept is known to be complete.
    while (position > 0 && newlines <= count) {
      const length = Math.min(CHUNK_BYTES, position);
      position -= length;
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, position);
      chunks.unshift(buffer);
      for (const byte of buffer) if (byte === 0x0a) newlines++;
    }
    const all = Buffer.concat(chunks).toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-count);
  } finally {
    await handle.close();
  }
}
