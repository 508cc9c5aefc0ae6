/**
 * Just enough of RFC 6455 framing for the proxy to end a WebSocket cleanly: where the frames of one
 * direction begin and end (so a close frame goes in between two frames, never inside one), and the
 * close frame itself. Payloads are never looked at.
 */

/** Close codes the proxy sends: the instance behind the socket is going away for a restart (a deploy). */
export const CLOSE_SERVICE_RESTART = 1012;

/**
 * Follows the frames of one direction, chunk by chunk, through their headers' lengths. `split(chunk)`
 * tells how many bytes of a chunk belong to frames that have begun, up to the end of the last one
 * complete in the chunk, so a caller can stop at a frame boundary.
 */
export class FrameBoundary {
  /** Bytes still owed by the frame in progress (its payload, or its header while incomplete). */
  #remaining = 0;
  /** A frame header cut between two chunks: its bytes so far. */
  #header: number[] = [];

  /** Whether the bytes seen so far end exactly at the end of a frame. */
  get atBoundary(): boolean {
    return this.#remaining === 0 && this.#header.length === 0;
  }

  /** Consumes the chunk; returns the offset just after the last frame that ends inside it (-1: none ends in it). */
  push(chunk: Buffer): number {
    let offset = 0;
    let lastEnd = -1;
    while (offset < chunk.length) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - offset);
        this.#remaining -= take;
        offset += take;
        if (this.#remaining === 0) lastEnd = offset;
        continue;
      }
      this.#header.push(chunk[offset++]);
      const payload = headerPayloadLength(this.#header);
      if (payload === null) continue;
      this.#header = [];
      this.#remaining = payload;
      if (payload === 0) lastEnd = offset;
    }
    return lastEnd;
  }
}

/**
 * The payload length of a frame whose header is `header` so far, once the header is complete
 * (null before); the mask key, when present, is counted as payload to skip.
 */
function headerPayloadLength(header: readonly number[]): number | null {
  if (header.length < 2) return null;
  const masked = (header[1] & 0x80) !== 0;
  const short = header[1] & 0x7f;
  const extended = short === 126 ? 2 : short === 127 ? 8 : 0;
  if (header.length < 2 + extended) return null;
  let length = short;
  if (extended === 2) length = (header[2] << 8) | header[3];
  else if (extended === 8) {
    length = 0;
    for (let i = 2; i < 10; i++) length = length * 256 + header[i];
  }
  return length + (masked ? 4 : 0);
}

/** An unmasked close frame (server to client) with a code and a short reason. */
export function closeFrame(code: number, reason: string): Buffer {
  const text = Buffer.from(reason.slice(0, 120), 'utf8');
  const frame = Buffer.alloc(4 + text.length);
  frame[0] = 0x88;
  frame[1] = 2 + text.length;
  frame.writeUInt16BE(code, 2);
  text.copy(frame, 4);
  return frame;
}
