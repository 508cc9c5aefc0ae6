import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { BodyPump } from './request-body-pump.ts';
import { ResponseParser, type ResponseSink } from './response-parser.ts';

/**
 * One socket of UpstreamClient to the app and the request it carries, one at a time: writes the
 * request (its body through BodyPump), parses the response into the handler's callbacks, bounds the
 * app's silence, and hands the socket back to its pool when it can carry another request.
 */

/** Error codes of the three timeouts and of an app that closed the connection mid-response. */
export const CONNECT_TIMEOUT = 'UPSTREAM_CONNECT_TIMEOUT';
export const HEADERS_TIMEOUT = 'UPSTREAM_HEADERS_TIMEOUT';
export const BODY_TIMEOUT = 'UPSTREAM_BODY_TIMEOUT';
export const UPSTREAM_CLOSED = 'UPSTREAM_CLOSED';

export interface UpstreamRequest {
  method: string;
  path: string;
  /** Flat `[name, value, …]`, hop-by-hop headers already removed. */
  headers: readonly string[];
  body: IncomingMessage | null;
  connectMs: number;
  /** Bound on waiting for the response head once the request is sent. */
  headersMs: number;
  /** Bound on silence between two reads of the response body. */
  bodyIdleMs: number;
}

/** What the handler can do to its request while it runs. */
export interface UpstreamController {
  pause(): void;
  resume(): void;
  /** Stops the request and closes its socket; the handler hears nothing more. */
  abort(): void;
}

/** The life of one request, in order: started (on a connected socket), head, data…, end; or error at any point. */
export interface UpstreamHandler {
  onRequestStart(controller: UpstreamController): void;
  /** `headers` is a new list for each response: the handler may change it. */
  onResponseStart(controller: UpstreamController, status: number, headers: string[], statusMessage: string): void;
  /**
   * `last`: the final piece of the body (of a Content-Length body always, of a chunked one when its end came
   * in the same read); onResponseEnd follows once the socket is free.
   */
  onResponseData(controller: UpstreamController, chunk: Buffer, last: boolean): void;
  onResponseEnd(): void;
  onResponseError(error: NodeJS.ErrnoException): void;
}

export interface UpstreamClientOptions {
  host: string;
  port: number;
  /** Idle sockets are closed after this long, or 1 s before the app's `Keep-Alive: timeout=N` when shorter. */
  idleTimeoutMs: number;
  keepAliveHintMarginMs: number;
}

/** What a Connection needs of the pool it belongs to. */
export interface ConnectionPool {
  readonly options: UpstreamClientOptions;
  /** Host header for a request that came without one. */
  readonly hostHeader: string;
  release(connection: Connection): void;
  forget(connection: Connection): void;
}

const PAYLOAD_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Socket event handlers are module functions that find their connection through this symbol: no
 * closures per socket or request.
 */
const kConnection = Symbol('cutover.upstreamConnection');
type TaggedSocket = net.Socket & { [kConnection]?: Connection };

/** One socket to the app and the request it carries, if any. Also the controller of that request. */
export class Connection implements ResponseSink, UpstreamController {
  readonly #client: ConnectionPool;
  readonly #parser: ResponseParser;
  #socket: net.Socket | null = null;
  #handler: UpstreamHandler | null = null;
  #request: UpstreamRequest | null = null;
  /** The request (its body included) is written. */
  #requestSent = false;
  /**
   * Timeouts are deadlines checked by one unref'd timer per socket that outlives requests: arming,
   * moving and clearing a deadline sets fields, a timer is only created when none would fire in time.
   */
  #timer: NodeJS.Timeout | null = null;
  /** performance.now() when #timer fires. */
  #timerDueMs = 0;
  /** performance.now() by which the app must have answered, 0 for none. */
  #deadlineMs = 0;
  /** What the deadline bounds (a timeout error code), '' for none. */
  #timerCode = '';
  #paused = false;
  #destroyed = false;
  idleSinceMs = 0;
  idleLimitMs: number;

  constructor(client: ConnectionPool) {
    this.#client = client;
    this.#parser = new ResponseParser(this);
    this.idleLimitMs = client.options.idleTimeoutMs;
  }

  connect(request: UpstreamRequest, handler: UpstreamHandler): void {
    this.#start(request, handler);
    const { host, port } = this.#client.options;
    const socket: TaggedSocket = net.connect({ host, port, noDelay: true });
    socket[kConnection] = this;
    this.#socket = socket;
    socket.on('connect', onSocketConnect);
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    this.#arm(CONNECT_TIMEOUT, request.connectMs);
  }

  reuse(request: UpstreamRequest, handler: UpstreamHandler): void {
    this.#start(request, handler);
    this.#socket!.ref();
    this.#send();
  }

  #start(request: UpstreamRequest, handler: UpstreamHandler): void {
    this.#request = request;
    this.#handler = handler;
    this.#requestSent = false;
    this.#paused = false;
    this.#parser.expect(request.method);
  }

  onConnect(): void {
    this.#clearTimer();
    if (this.#handler !== null) this.#send();
  }

  /** Tells the handler its request is on a socket, then writes the request. */
  #send(): void {
    const handler = this.#handler!;
    handler.onRequestStart(this);
    if (this.#handler !== handler) return; // aborted from onRequestStart
    const request = this.#request!;
    const { method, path, headers, body } = request;
    let head = `${method} ${path} HTTP/1.1\r\n`;
    let hasHost = false;
    let hasLength = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      const n = name.length;
      if (n === 4 && name.toLowerCase() === 'host') hasHost = true;
      else if (n === 14 && name.toLowerCase() === 'content-length') hasLength = true;
      head += `${name}: ${headers[i + 1]}\r\n`;
    }
    if (!hasHost) head += `Host: ${this.#client.hostHeader}\r\n`;
    const socket = this.#socket!;
    if (body === null) {
      if (!hasLength && PAYLOAD_METHODS.has(method)) head += 'Content-Length: 0\r\n';
      socket.write(`${head}\r\n`, 'latin1');
      this.#requestWritten();
      return;
    }
    const chunked = !hasLength;
    if (chunked) head += 'Transfer-Encoding: chunked\r\n';
    socket.write(`${head}\r\n`, 'latin1');
    new BodyPump(this, socket, body, chunked).start();
  }

  #requestWritten(): void {
    this.#requestSent = true;
    if (!this.#parser.headSeen && this.#handler !== null) this.#arm(HEADERS_TIMEOUT, this.#request!.headersMs);
  }

  /** From BodyPump: the request body is written (or the pump stopped because the request ended). */
  bodySent(pump: BodyPump): void {
    if (this.#socket === pump.socket && this.#handler !== null) this.#requestWritten();
  }

  onData(data: Buffer): void {
    if (this.#handler === null) {
      // Bytes nobody asked for (on an idle socket, or after a complete response): the socket is unusable.
      this.destroy();
      return;
    }
    let used: number;
    try {
      used = this.#parser.execute(data);
    } catch (error) {
      this.#fail(error as NodeJS.ErrnoException);
      return;
    }
    if (this.#handler === null) {
      // Aborted by the handler during a callback.
      return;
    }
    if (this.#parser.complete) this.#done(used < data.length);
    else if (this.#parser.headSeen) {
      if (this.#timerCode === BODY_TIMEOUT) this.#deadlineMs = performance.now() + this.#request!.bodyIdleMs;
      else if (!this.#paused) this.#arm(BODY_TIMEOUT, this.#request!.bodyIdleMs);
    }
  }

  // --- ResponseSink (called from inside execute).

  onHead(status: number, statusMessage: string, headers: string[]): void {
    this.#clearTimer();
    this.#handler!.onResponseStart(this, status, headers, statusMessage);
  }

  onBody(chunk: Buffer, last: boolean): void {
    this.#handler?.onResponseData(this, chunk, last);
  }

  onComplete(): void {
    // Delivered by #done once execute has returned, so that the socket is free when the handler hears of it.
  }

  /** The response is complete; `extra`: bytes followed it. */
  #done(extra: boolean): void {
    const handler = this.#handler!;
    const parser = this.#parser;
    const reusable = !extra && parser.keepAlive && this.#requestSent && !this.#destroyed;
    this.#clearTimer();
    this.#handler = null;
    this.#request = null;
    if (reusable) {
      const hint = parser.keepAliveHintMs;
      const { idleTimeoutMs, keepAliveHintMarginMs } = this.#client.options;
      this.idleLimitMs = hint === -1 ? idleTimeoutMs : Math.min(idleTimeoutMs, hint - keepAliveHintMarginMs);
      if (this.idleLimitMs <= 0) this.destroy();
      else {
        if (this.#paused) this.#socket!.resume();
        this.#paused = false;
        this.#socket!.unref();
        this.#client.release(this);
      }
    } else this.destroy();
    handler.onResponseEnd();
  }

  onEnd(): void {
    if (this.#handler !== null && this.#parser.readsUntilClose) {
      this.#parser.finish();
      this.#done(false);
      return;
    }
    this.#closed();
  }

  onError(error: NodeJS.ErrnoException): void {
    this.#fail(error);
  }

  /** The socket closed (or ended) while a request may still be waiting on it. */
  #closed(): void {
    if (this.#handler === null) {
      this.destroy();
      return;
    }
    const error = new Error(
      this.#parser.headSeen ? 'the app closed the connection during the response' : 'the app closed the connection before responding',
    ) as NodeJS.ErrnoException;
    error.code = UPSTREAM_CLOSED;
    this.#fail(error);
  }

  onClose(): void {
    if (this.#handler !== null) this.#closed();
    this.#destroyed = true;
    this.#client.forget(this);
  }

  onTimer(): void {
    this.#timer = null;
    if (this.#timerCode === '') return;
    const remaining = this.#deadlineMs - performance.now();
    if (remaining >= 1) {
      this.#startTimer(remaining);
      return;
    }
    const code = this.#timerCode;
    this.#clearTimer();
    const error = new Error(`upstream ${code}`) as NodeJS.ErrnoException;
    error.code = code;
    this.#fail(error);
  }

  #fail(error: NodeJS.ErrnoException): void {
    const handler = this.#handler;
    this.#handler = null;
    this.#request = null;
    this.destroy();
    handler?.onResponseError(error);
  }

  #arm(code: string, ms: number): void {
    const deadline = performance.now() + ms;
    this.#timerCode = code;
    this.#deadlineMs = deadline;
    // A timer due later than the deadline would fire too late; one due earlier re-arms itself.
    if (this.#timer === null || this.#timerDueMs > deadline + 1) this.#startTimer(ms);
  }

  #startTimer(ms: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerDueMs = performance.now() + ms;
    this.#timer = setTimeout(onConnectionTimer, ms, this);
    this.#timer.unref();
  }

  #clearTimer(): void {
    this.#timerCode = '';
    this.#deadlineMs = 0;
  }

  // --- UpstreamController.

  pause(): void {
    if (this.#paused || this.#handler === null) return;
    this.#paused = true;
    // Waiting on the client is not the app's silence.
    if (this.#timerCode === BODY_TIMEOUT) this.#clearTimer();
    this.#socket?.pause();
  }

  resume(): void {
    if (!this.#paused || this.#handler === null) return;
    this.#paused = false;
    this.#socket?.resume();
    if (this.#parser.headSeen && this.#timerCode === '') this.#arm(BODY_TIMEOUT, this.#request!.bodyIdleMs);
  }

  abort(): void {
    if (this.#handler === null) return;
    this.#handler = null;
    this.#request = null;
    this.destroy();
  }

  destroy(): void {
    this.#clearTimer();
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (!this.#destroyed) {
      this.#destroyed = true;
      this.#socket?.destroy();
    }
    this.#client.forget(this);
  }
}

function onSocketConnect(this: TaggedSocket): void {
  this[kConnection]!.onConnect();
}
function onSocketData(this: TaggedSocket, data: Buffer): void {
  this[kConnection]!.onData(data);
}
function onSocketEnd(this: TaggedSocket): void {
  this[kConnection]!.onEnd();
}
function onSocketError(this: TaggedSocket, error: Error): void {
  this[kConnection]!.onError(error);
}
function onSocketClose(this: TaggedSocket): void {
  this[kConnection]!.onClose();
}
function onConnectionTimer(connection: Connection): void {
  connection.onTimer();
}
