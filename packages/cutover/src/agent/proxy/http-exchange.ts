import type { IncomingMessage, ServerResponse } from 'node:http';
import { stripResponseHopByHop, type UpstreamHead } from './forward-headers.ts';
import { writeProxyError } from './proxy-responses.ts';
import type { ProxyService } from './proxy-service.ts';
import type { InFlightExchange, Target } from './target.ts';
import {
  BODY_TIMEOUT,
  CONNECT_TIMEOUT,
  HEADERS_TIMEOUT,
  type UpstreamController,
  type UpstreamHandler,
  type UpstreamRequest,
} from './upstream-client.ts';
import { classifyUpstreamError, mayRetry } from './upstream-failure.ts';

/**
 * Event handlers are module functions that find their exchange through this symbol on the emitter:
 * no closures are allocated per request on the hot path.
 */
const kExchange = Symbol('cutover.exchange');
type Tagged<T> = T & { [kExchange]?: HttpExchange };

/**
 * One client request on its way through the proxy: sent to a target, retried once on another when
 * that is safe, answered, and recorded once in the counters of the release that answered.
 *
 * The upstream hop is a dispatch on the target's UpstreamClient, with this object as both its
 * request and its handler (no streams, no per-request closures or request objects). A request body is the client's IncomingMessage itself:
 * the client reads it only once the request is on a connected socket, so a connect failure leaves
 * the body unread and the request can go to another target intact.
 */
export class HttpExchange implements InFlightExchange, UpstreamHandler, UpstreamRequest {
  readonly service: ProxyService;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly head: UpstreamHead;
  readonly path: string;
  readonly startedMs: number;
  // --- UpstreamRequest: the same for every attempt.
  readonly method: string;
  readonly headers: readonly string[];
  readonly body: IncomingMessage | null;
  readonly connectMs: number;
  readonly headersMs: number;
  readonly bodyIdleMs: number;
  target: Target | null = null;
  /** The current attempt's controller, from the moment it is on a connected socket until its response ends. */
  controller: UpstreamController | null = null;
  /** The app's response head arrived (the request is answered: never retried from then on). */
  responding = false;
  /** The app's response head, held until the first body bytes or the end (null once handed to Node). */
  responseHeaders: string[] | null = null;
  responseStatus = 0;
  responseMessage = '';
  attempts = 0;
  /** The current attempt reached a connected socket (its request, body included, is being sent). */
  connected = false;
  done = false;
  proxyError = false;
  /** The status recorded when the answer was cut short after its head went out (0: none). */
  failedStatus = 0;
  /** The release affinity chose (a retry stays in it when it can); null without affinity. */
  pinnedRelease: string | null = null;
  /** A sticky-release cookie to add to the answer. */
  setCookie: string | null = null;
  /** Whether the answer counts in the release counters (the route's metricsPaths filter). */
  counted = true;
  /** The upstream stayed silent past a timeout (answered 504). */
  timedOut = false;
  /** Waiting for the client socket to drain before reading more of the upstream body. */
  paused = false;

  constructor(service: ProxyService, req: IncomingMessage, res: ServerResponse, head: UpstreamHead, path: string, startedMs: number) {
    this.service = service;
    this.req = req;
    this.res = res;
    this.head = head;
    this.path = path;
    this.startedMs = startedMs;
    this.method = req.method ?? 'GET';
    this.headers = head.headers;
    this.body = head.hasBody ? req : null;
    const { timeouts } = service;
    this.connectMs = timeouts.connectMs;
    this.headersMs = timeouts.responseMs;
    this.bodyIdleMs = timeouts.idleMs;
  }

  start(target: Target): void {
    const res = this.res as Tagged<ServerResponse>;
    res[kExchange] = this;
    res.on('finish', onClientFinish);
    res.on('close', onClientClose);
    if (!this.head.hasBody) skipRequestDrain(this.req);
    this.send(target);
  }

  send(target: Target): void {
    this.attempts++;
    this.target = target;
    this.connected = false;
    this.controller = null;
    target.begin(this);
    target.dispatch(this, this);
  }

  // --- UpstreamHandler: one attempt's life on the upstream connection.

  onRequestStart(controller: UpstreamController): void {
    if (this.done) {
      controller.abort();
      return;
    }
    this.controller = controller;
    this.connected = true;
  }

  onResponseStart(controller: UpstreamController, statusCode: number, rawHeaders: string[], statusMessage: string): void {
    if (this.done) {
      this.controller = null;
      controller.abort();
      return;
    }
    // Node sends a head only with the first body bytes (or the end) anyway: it is handed to Node then,
    // when a body that came whole can be framed by Content-Length instead of chunked.
    const headers = stripResponseHopByHop(rawHeaders);
    if (this.setCookie !== null) headers.push('Set-Cookie', this.setCookie);
    this.responseHeaders = headers;
    this.responseStatus = statusCode;
    this.responseMessage = statusMessage;
    this.responding = true;
  }

  /**
   * Hands the held head to Node; `wholeBodyLength` (-1: unknown) frames a body that came whole and
   * without Content-Length. False when Node refuses it (the exchange has failed with 502).
   */
  #writeHead(wholeBodyLength: number): boolean {
    const headers = this.responseHeaders!;
    this.responseHeaders = null;
    try {
      if (wholeBodyLength >= 0 && !hasContentLength(headers)) headers.push('Content-Length', String(wholeBodyLength));
      this.res.writeHead(this.responseStatus, this.responseMessage, headers);
      return true;
    } catch (error) {
      // Node rejects what it would not send itself (a header value with control characters, say): the app's answer is unusable.
      this.abortUpstream();
      this.fail(502, `service ${this.service.name} target ${this.target!.id} sent an invalid response: ${(error as Error).message}`);
      return false;
    }
  }

  onResponseData(controller: UpstreamController, chunk: Buffer, last: boolean): void {
    if (this.done) return;
    if (this.responseHeaders !== null && !this.#writeHead(last ? chunk.length : -1)) return;
    if (last) {
      // One call for the last piece: Node's write() corks the socket until the next tick, end() writes at once.
      this.res.end(chunk);
      return;
    }
    if (!this.res.write(chunk) && !this.paused) {
      this.paused = true;
      controller.pause();
      this.res.once('drain', onClientDrain);
    }
  }

  onResponseEnd(): void {
    // The socket may carry another exchange's request from now on: never touch it again.
    this.controller = null;
    if (this.done || this.res.writableEnded) return;
    if (this.responseHeaders !== null && !this.#writeHead(-1)) return;
    this.res.end();
  }

  onResponseError(error: NodeJS.ErrnoException): void {
    this.controller = null;
    if (this.done) return;
    const target = this.target!;
    const code = error.code;
    if (code === CONNECT_TIMEOUT || code === HEADERS_TIMEOUT || code === BODY_TIMEOUT) {
      this.onTimeout(code);
      return;
    }
    if (this.responding) {
      this.service.targetFailed(target, 'response cut short', false);
      this.fail(502, 'upstream response cut short');
      return;
    }
    // Whether the socket was a pooled one is not known here: a reset before any response byte is
    // taken as possibly a pooled socket the app had just closed, which says nothing about its health.
    const failure = classifyUpstreamError(error, this.connected, true);
    this.service.targetFailed(target, failure.reason, failure.ejectNow);
    if (this.attempts === 1 && mayRetry(failure, this.method, this.head.hasBody)) {
      // With no other target, a socket-level failure on a target still in service is tried again on
      // another connection (a socket that failed is never reused).
      const stale = this.connected && !failure.ejectNow && target.healthy && !target.draining;
      const next = this.service.pickRetry(target, this.pinnedRelease) ?? (stale ? target : null);
      if (next !== null) {
        target.end(this);
        this.send(next);
        return;
      }
    }
    this.fail(502, `service ${this.service.name} target ${target.id} failed: ${failure.reason}`);
  }

  /** The upstream was silent longer than the current phase allows: connect, response head, or body. */
  onTimeout(code: string): void {
    const target = this.target!;
    const what =
      code === BODY_TIMEOUT
        ? `sent nothing of its response body for ${this.bodyIdleMs} ms`
        : code === CONNECT_TIMEOUT
          ? `did not accept a connection within ${this.connectMs} ms`
          : `sent no response head within ${this.headersMs} ms`;
    this.timedOut = true;
    if (code === CONNECT_TIMEOUT) this.service.targetFailed(target, 'connect timeout', true);
    this.fail(504, `service ${this.service.name} target ${target.id} ${what}`);
    this.finish();
  }

  onClientDrain(): void {
    this.paused = false;
    this.controller?.resume();
  }

  onClientFinish(): void {
    if (this.done) return;
    if (!this.proxyError) this.target!.succeeded();
    this.finish();
  }

  /** The client connection closed before the answer finished: the client left, or we cut it. */
  onClientClose(): void {
    if (this.done) return;
    this.finish();
    this.abortUpstream();
  }

  /** Drain timeout: answer 504 if nothing was sent yet, otherwise cut the response. */
  cancel(): void {
    if (this.done) return;
    this.fail(504, `service ${this.service.name} target ${this.target!.id} was removed and the request outlived the drain timeout`);
    this.finish();
    this.abortUpstream();
  }

  /** Stops the current attempt; one not yet on a socket is aborted when it gets one (onRequestStart). */
  abortUpstream(): void {
    const controller = this.controller;
    this.controller = null;
    controller?.abort();
  }

  /**
   * A proxy-made error. When the response head already went out the client can only see the
   * connection cut, but the counters still record the error status: canary analysis must see it.
   */
  fail(status: number, message: string): void {
    this.proxyError = true;
    const res = this.res;
    if (res.headersSent) {
      this.failedStatus = status;
      this.finish();
      res.destroy();
    } else if (!res.destroyed) {
      writeProxyError(res, status, message);
    }
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    const target = this.target!;
    target.end(this);
    const status = this.failedStatus !== 0 ? this.failedStatus : this.res.headersSent ? this.res.statusCode : 0;
    if (status !== 0 && this.counted)
      this.service.record(target.release, status, performance.now() - this.startedMs, this.proxyError, this.timedOut);
  }
}

function hasContentLength(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name.length === 14 && name.toLowerCase() === 'content-length') return true;
  }
  return false;
}

/**
 * A request without a body has no bytes to pull off the wire, yet once the answer is sent Node's
 * server "dumps" it: resumes the stream, which then ends and destroys itself over four or five
 * process.nextTick callbacks (8% of the agent's user time in bench:proxy). Marking it as already
 * dumped skips that; the request stream then never emits 'end' or 'close', which nothing in the
 * proxy listens to (the exchange follows the response). `_dumped` is Node's own flag on
 * IncomingMessage; were it renamed, only the saving would be lost.
 */
function skipRequestDrain(req: IncomingMessage): void {
  (req as IncomingMessage & { _dumped?: boolean })._dumped = true;
}

function onClientFinish(this: Tagged<ServerResponse>): void {
  this[kExchange]!.onClientFinish();
}

function onClientClose(this: Tagged<ServerResponse>): void {
  this[kExchange]!.onClientClose();
}

function onClientDrain(this: Tagged<ServerResponse>): void {
  this[kExchange]!.onClientDrain();
}
