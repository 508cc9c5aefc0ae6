import { maxHeaderSize } from 'node:http';

/**
 * An incremental HTTP/1.1 response parser for the proxy's upstream client: status line and headers,
 * then a body framed by Content-Length, chunked transfer coding (extensions and trailers read and
 * dropped) or the end of the connection. Input may be split anywhere; `execute` stops after each
 * complete response so that the caller sees bytes that follow it (which a client sending one request
 * at a time never expects). 1xx answers other than 101 are skipped; 101 is an error here (upgrades
 * go through the WebSocket path).
 */

export const INVALID_RESPONSE = 'UPSTREAM_INVALID_RESPONSE';
export const HEADERS_OVERFLOW = 'UPSTREAM_HEADERS_OVERFLOW';

export class ResponseParseError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface ResponseSink {
  /** A final (non-1xx) response head; `headers` is flat `[name, value, …]`, latin1-decoded. */
  onHead(status: number, statusMessage: string, headers: string[]): void;
  /**
   * `last`: this piece ends the body (the response completes right after it). Always told for a
   * Content-Length body; for a chunked one when the end of the body is in the same read as its last piece.
   */
  onBody(chunk: Buffer, last: boolean): void;
  onComplete(): void;
}

/** Parser states. */
const Head = 0;
const Length = 1;
const ChunkSize = 2;
const ChunkExtension = 3;
const ChunkSizeLf = 4;
const ChunkData = 5;
const ChunkDataCr = 6;
const ChunkDataLf = 7;
const TrailerLineStart = 8;
const TrailerLine = 9;
const TrailerEndLf = 10;
const UntilClose = 11;
const Done = 12;

const CR = 13;
const LF = 10;
/** Hex digits of a chunk size: beyond 13 (2^52) it would not fit a double exactly. */
const MAX_CHUNK_SIZE_DIGITS = 13;
/** The blank line that ends a head. */
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DIGITS = /^\d+$/;

export class ResponseParser {
  readonly #sink: ResponseSink;
  #state = Done;
  /** Head bytes received so far when the head is split over several reads. */
  #pendingHead: Buffer | null = null;
  #remaining = 0;
  #sizeDigits = 0;
  #trailerBytes = 0;
  #isHeadRequest = false;
  /**
   * A piece of chunked data held back until the framing after it is read: if that ends the body in
   * the same read, the piece is delivered as the last one. Never held across reads.
   */
  #held: Buffer | null = null;
  /** Whether the connection may carry another request after this response. */
  keepAlive = true;
  /** The app's `Keep-Alive: timeout=N` hint in ms (-1: none). */
  keepAliveHintMs = -1;
  /** The final head was parsed (the response started). */
  headSeen = false;

  constructor(sink: ResponseSink) {
    this.#sink = sink;
  }

  /** Readies the parser for the response to one request (`HEAD` responses have no body). */
  expect(method: string): void {
    this.#state = Head;
    this.#pendingHead = null;
    this.#held = null;
    this.#isHeadRequest = method === 'HEAD';
    this.keepAlive = true;
    this.keepAliveHintMs = -1;
    this.headSeen = false;
  }

  get complete(): boolean {
    return this.#state === Done;
  }

  /** True while the body runs until the connection closes: the end of input completes it. */
  get readsUntilClose(): boolean {
    return this.#state === UntilClose;
  }

  /** The connection ended: completes a body read until close; false if the response was cut short. */
  finish(): boolean {
    if (this.#state === UntilClose) {
      this.#state = Done;
      this.#sink.onComplete();
    }
    return this.#state === Done;
  }

  /**
   * Parses `data`; returns how many bytes belong to the current response (all of them unless it
   * completed before the end). Throws ResponseParseError on a malformed or oversized response.
   */
  execute(data: Buffer): number {
    let offset = 0;
    const length = data.length;
    while (offset < length) {
      switch (this.#state) {
        case Done:
          return offset;
        case Head:
          offset = this.#head(data, offset);
          break;
        case Length: {
          const take = Math.min(this.#remaining, length - offset);
          this.#remaining -= take;
          const chunk = offset === 0 && take === length ? data : data.subarray(offset, offset + take);
          offset += take;
          const last = this.#remaining === 0;
          this.#sink.onBody(chunk, last);
          if (last) this.#complete();
          break;
        }
        case UntilClose:
          this.#sink.onBody(offset === 0 ? data : data.subarray(offset), false);
          return length;
        case ChunkData: {
          const take = Math.min(this.#remaining, length - offset);
          this.#remaining -= take;
          const chunk = data.subarray(offset, offset + take);
          offset += take;
          if (this.#remaining === 0) this.#state = ChunkDataCr;
          const held = this.#held;
          this.#held = chunk;
          if (held !== null) this.#sink.onBody(held, false);
          break;
        }
        default:
          offset = this.#chunkFraming(data, offset);
      }
    }
    const held = this.#held;
    if (held !== null) {
      this.#held = null;
      this.#sink.onBody(held, false);
    }
    return offset;
  }

  #complete(): void {
    const held = this.#held;
    if (held !== null) {
      this.#held = null;
      this.#sink.onBody(held, true);
    }
    this.#state = Done;
    this.#sink.onComplete();
  }

  /** Looks for the end of the head; parses it once found. Returns the new offset. */
  #head(data: Buffer, offset: number): number {
    let buffer = data;
    let start = offset;
    let searchFrom = offset;
    const pending = this.#pendingHead;
    if (pending !== null) {
      buffer = Buffer.concat([pending, offset === 0 ? data : data.subarray(offset)]);
      start = 0;
      // The terminator may straddle the two reads.
      searchFrom = Math.max(0, pending.length - 3);
    }
    const end = buffer.indexOf(HEAD_END, searchFrom);
    if (end === -1) {
      if (buffer.length - start > maxHeaderSize)
        throw new ResponseParseError(HEADERS_OVERFLOW, `response head over ${maxHeaderSize} bytes`);
      this.#pendingHead = start === 0 && buffer !== data ? buffer : Buffer.from(buffer.subarray(start));
      return data.length;
    }
    if (end - start > maxHeaderSize) throw new ResponseParseError(HEADERS_OVERFLOW, `response head over ${maxHeaderSize} bytes`);
    this.#pendingHead = null;
    this.#parseHead(buffer.toString('latin1', start, end));
    // Offset in `data` just past the head.
    return pending === null ? end + 4 : end + 4 - pending.length + offset;
  }

  #parseHead(text: string): void {
    let lineEnd = text.indexOf('\r\n');
    if (lineEnd === -1) lineEnd = text.length;
    const minor = statusLineMinor(text, lineEnd);
    if (minor === -1)
      throw new ResponseParseError(INVALID_RESPONSE, `invalid status line ${JSON.stringify(text.slice(0, Math.min(lineEnd, 100)))}`);
    const status = (text.charCodeAt(9) - 48) * 100 + (text.charCodeAt(10) - 48) * 10 + (text.charCodeAt(11) - 48);
    const statusMessage = lineEnd > 13 ? text.slice(13, lineEnd) : '';
    const headers: string[] = [];
    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    let close = minor === 0;
    while (lineEnd < text.length) {
      const start = lineEnd + 2;
      lineEnd = text.indexOf('\r\n', start);
      if (lineEnd === -1) lineEnd = text.length;
      const colon = text.indexOf(':', start);
      const name = colon > start && colon < lineEnd ? text.slice(start, colon) : '';
      if (!TOKEN.test(name))
        throw new ResponseParseError(
          INVALID_RESPONSE,
          `invalid header line ${JSON.stringify(text.slice(start, Math.min(lineEnd, start + 100)))}`,
        );
      const value = headerValue(text, colon + 1, lineEnd);
      headers.push(name, value);
      const n = name.length;
      if (n === 14 && name.toLowerCase() === 'content-length') {
        if (!DIGITS.test(value))
          throw new ResponseParseError(INVALID_RESPONSE, `invalid Content-Length ${JSON.stringify(value.slice(0, 100))}`);
        const parsed = Number(value);
        if (contentLength !== -1 && parsed !== contentLength)
          throw new ResponseParseError(INVALID_RESPONSE, 'conflicting Content-Length headers');
        contentLength = parsed;
      } else if (n === 17 && name.toLowerCase() === 'transfer-encoding') {
        transferEncoding = true;
        // Only a final `chunked` coding frames the body; anything else runs until the connection closes.
        chunked = value === 'chunked' || /(?:^|,)\s*chunked\s*$/i.test(value);
      } else if (n === 10 && name.toLowerCase() === 'connection') {
        if (value === 'keep-alive') {
          if (minor === 0) close = false;
        } else if (/(?:^|,)\s*close\s*(?:,|$)/i.test(value)) close = true;
        else if (minor === 0 && /(?:^|,)\s*keep-alive\s*(?:,|$)/i.test(value)) close = false;
      } else if (n === 10 && name.toLowerCase() === 'keep-alive') {
        const hint = /(?:^|,)\s*timeout\s*=\s*(\d+)/i.exec(value);
        if (hint !== null) this.keepAliveHintMs = Number(hint[1]) * 1000;
      }
    }
    if (status < 200) {
      if (status === 101) throw new ResponseParseError(INVALID_RESPONSE, 'unexpected 101 Switching Protocols');
      if (status < 100) throw new ResponseParseError(INVALID_RESPONSE, `invalid status ${status}`);
      // An interim answer (100, 103 …): the final one follows on the same request.
      this.keepAliveHintMs = -1;
      return;
    }
    this.headSeen = true;
    this.keepAlive = !close;
    // Both framings at once is a smuggling pattern, and the Content-Length forwarded would not match the body.
    if (transferEncoding && contentLength !== -1)
      throw new ResponseParseError(INVALID_RESPONSE, 'both Content-Length and Transfer-Encoding');
    this.#sink.onHead(status, statusMessage, headers);
    if (this.#isHeadRequest || status === 204 || status === 304) this.#complete();
    else if (transferEncoding) {
      if (chunked) this.#startChunk();
      else {
        this.keepAlive = false;
        this.#state = UntilClose;
      }
    } else if (contentLength === 0) this.#complete();
    else if (contentLength > 0) {
      this.#remaining = contentLength;
      this.#state = Length;
    } else {
      this.keepAlive = false;
      this.#state = UntilClose;
    }
  }

  #startChunk(): void {
    this.#state = ChunkSize;
    this.#remaining = 0;
    this.#sizeDigits = 0;
  }

  /** Chunk size lines, the CRLF after each chunk's data, and trailers, byte by byte. */
  #chunkFraming(data: Buffer, offset: number): number {
    const length = data.length;
    while (offset < length) {
      const byte = data[offset];
      switch (this.#state) {
        case ChunkSize: {
          const digit = hexValue(byte);
          if (digit !== -1) {
            if (++this.#sizeDigits > MAX_CHUNK_SIZE_DIGITS) throw new ResponseParseError(INVALID_RESPONSE, 'chunk size too large');
            this.#remaining = this.#remaining * 16 + digit;
          } else if (this.#sizeDigits === 0) throw new ResponseParseError(INVALID_RESPONSE, 'invalid chunk size');
          else if (byte === CR) this.#state = ChunkSizeLf;
          else if (byte === 0x3b || byte === 0x20 || byte === 0x09) this.#state = ChunkExtension;
          else throw new ResponseParseError(INVALID_RESPONSE, 'invalid chunk size');
          break;
        }
        case ChunkExtension:
          if (byte === CR) this.#state = ChunkSizeLf;
          else if (byte === LF) throw new ResponseParseError(INVALID_RESPONSE, 'bare LF in chunk extension');
          else if (++this.#trailerBytes > maxHeaderSize) throw new ResponseParseError(HEADERS_OVERFLOW, 'chunk extension too long');
          break;
        case ChunkSizeLf:
          if (byte !== LF) throw new ResponseParseError(INVALID_RESPONSE, 'missing LF after chunk size');
          this.#trailerBytes = 0;
          if (this.#remaining === 0) this.#state = TrailerLineStart;
          else {
            this.#state = ChunkData;
            return offset + 1;
          }
          break;
        case ChunkDataCr:
          if (byte !== CR) throw new ResponseParseError(INVALID_RESPONSE, 'missing CRLF after chunk data');
          this.#state = ChunkDataLf;
          break;
        case ChunkDataLf:
          if (byte !== LF) throw new ResponseParseError(INVALID_RESPONSE, 'missing CRLF after chunk data');
          this.#startChunk();
          break;
        case TrailerLineStart:
          if (byte === CR) this.#state = TrailerEndLf;
          else this.#state = TrailerLine;
          if (++this.#trailerBytes > maxHeaderSize) throw new ResponseParseError(HEADERS_OVERFLOW, 'trailers too long');
          break;
        case TrailerLine:
          if (byte === LF) this.#state = TrailerLineStart;
          if (++this.#trailerBytes > maxHeaderSize) throw new ResponseParseError(HEADERS_OVERFLOW, 'trailers too long');
          break;
        case TrailerEndLf:
          if (byte !== LF) throw new ResponseParseError(INVALID_RESPONSE, 'missing LF after trailers');
          this.#complete();
          return offset + 1;
        default:
          return offset;
      }
      offset++;
    }
    return offset;
  }
}

/**
 * The minor version of a status line `HTTP/1.x NNN[ reason]` ending at `lineEnd` (0 or 1), or -1
 * when it is not one. Checked by hand: the regex it replaces allocated a match per response.
 */
function statusLineMinor(text: string, lineEnd: number): number {
  if (lineEnd < 12 || !text.startsWith('HTTP/1.', 0)) return -1;
  const minor = text.charCodeAt(7) - 48;
  if ((minor !== 0 && minor !== 1) || text.charCodeAt(8) !== 32) return -1;
  for (let i = 9; i < 12; i++) {
    const digit = text.charCodeAt(i);
    if (digit < 48 || digit > 57) return -1;
  }
  if (lineEnd === 12) return minor;
  if (text.charCodeAt(12) !== 32) return -1;
  // The reason phrase is whatever follows (a lone CR or LF cannot, the head is split on CRLF).
  for (let i = 13; i < lineEnd; i++) {
    const code = text.charCodeAt(i);
    if (code === 13 || code === 10) return -1;
  }
  return minor;
}

/**
 * A header value without the whitespace around it (as String.prototype.trim), sliced once in the
 * usual case of a single space after the colon and nothing to trim at the end.
 */
function headerValue(text: string, from: number, to: number): string {
  if (to - from >= 2 && text.charCodeAt(from) === 32 && text.charCodeAt(from + 1) > 32 && text.charCodeAt(to - 1) > 32) {
    const last = text.charCodeAt(to - 1);
    const first = text.charCodeAt(from + 1);
    // Outside ASCII, trim() also removes U+00A0 and friends: leave those to it.
    if (last < 127 && first < 127) return text.slice(from + 1, to);
  }
  return text.slice(from, to).trim();
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}
