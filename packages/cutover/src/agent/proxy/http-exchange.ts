import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { buildClientResponseHeaders, type UpstreamHead } from './forward-headers.ts';
import { writeProxyError } from './proxy-responses.ts';
import type { ProxyService } from './proxy-service.ts';
import type { InFlightExchange, Target } from './target.ts';
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
 * A request with a body is only read from the client once the upstream socket is connected, so a
 * connect failure leaves the body unread and the request can go to another target intact.
 */
export class HttpExchange implements InFlightExchange {
  readonly service: ProxyService;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly head: UpstreamHead;
  readonly path: string;
  readonly startedMs: number;
  target: Target | null = null;
  upstream: ClientRequest | null = null;
  upstreamRes: IncomingMessage | null = null;
  attempts = 0;
  bodyPiped = false;
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

  constructor(service: ProxyService, req: IncomingMessage, res: ServerResponse, head: UpstreamHead, path: string, startedMs: number) {
    this.service = service;
    this.req = req;
    this.res = res;
    this.head = head;
    this.path = path;
    this.startedMs = startedMs;
  }

  start(target: Target): void {
    const res = this.res as Tagged<ServerResponse>;
    res[kExchange] = this;
    res.on('finish', onClientFinish);
    res.on('close', onClientClose);
    this.send(target);
  }

  send(target: Target): void {
    this.attempts++;
    this.target = target;
    target.begin(this);
    let upstream: Tagged<ClientRequest>;
    try {
      upstream = http.request({
        agent: target.agent,
        host: target.host,
        port: target.port,
        method: this.req.method,
        path: this.path,
        headers: this.head.headers,
        setHost: false,
      });
    } catch (error) {
      // Node validates the request line and headers again; a request it refuses never left the proxy.
      this.fail(502, `the request cannot be forwarded: ${(error as Error).message}`);
      return;
    }
    upstream[kExchange] = this;
    upstream.on('response', onUpstreamResponse);
    upstream.on('error', onUpstreamError);
    upstream.on('timeout', onUpstreamTimeout);
    upstream.on('socket', onUpstreamSocket);
    this.upstream = upstream;
    if (!this.head.hasBody) upstream.end();
  }

  /** The upstream socket is connected (fresh or reused): from now on the app owes the response head. */
  onConnected(socket: Socket): void {
    socket.setTimeout(this.service.timeouts.responseMs);
    if (this.head.hasBody) this.pipeBody();
  }

  /** The upstream socket was silent longer than the current phase allows: connect, response head, or body. */
  onTimeout(upstream: ClientRequest): void {
    if (this.done || upstream !== this.upstream) return;
    const target = this.target!;
    const { timeouts } = this.service;
    const connecting = upstream.socket?.connecting === true;
    const what =
      this.upstreamRes !== null
        ? `sent nothing of its response body for ${timeouts.idleMs} ms`
        : connecting
          ? `did not accept a connection within ${timeouts.connectMs} ms`
          : `sent no response head within ${timeouts.responseMs} ms`;
    this.timedOut = true;
    if (connecting) this.service.targetFailed(target, 'connect timeout', true);
    this.fail(504, `service ${this.service.name} target ${target.id} ${what}`);
    this.finish();
    upstream.destroy();
  }

  pipeBody(): void {
    const upstream = this.upstream;
    if (this.done || this.bodyPiped || upstream === null || upstream.destroyed) return;
    this.bodyPiped = true;
    this.req.pipe(upstream);
  }

  onResponse(upstream: ClientRequest, upstreamRes: IncomingMessage): void {
    if (this.done || upstream !== this.upstream) {
      upstreamRes.resume();
      return;
    }
    this.upstreamRes = upstreamRes;
    upstream.socket?.setTimeout(this.service.timeouts.idleMs);
    (upstreamRes as Tagged<IncomingMessage>)[kExchange] = this;
    upstreamRes.on('close', onUpstreamResponseClose);
    try {
      const headers = buildClientResponseHeaders(upstreamRes.rawHeaders);
      if (this.setCookie !== null) headers.push('Set-Cookie', this.setCookie);
      this.res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, headers);
    } catch (error) {
      // Node rejects what it would not send itself (a status below 100, say): the app's answer is unusable.
      upstreamRes.destroy();
      this.fail(502, `service ${this.service.name} target ${this.target!.id} sent an invalid response: ${(error as Error).message}`);
      return;
    }
    upstreamRes.pipe(this.res);
  }

  onUpstreamError(upstream: ClientRequest, error: NodeJS.ErrnoException): void {
    // After the response head, the response's 'close' reports the failure.
    if (this.done || upstream !== this.upstream || this.upstreamRes !== null) return;
    const target = this.target!;
    const requestSent = this.bodyPiped || !this.head.hasBody;
    const failure = classifyUpstreamError(error, requestSent, upstream.reusedSocket);
    this.service.targetFailed(target, failure.reason, failure.ejectNow);
    if (this.attempts === 1 && mayRetry(failure, this.req.method ?? 'GET', this.head.hasBody)) {
      // A pooled socket the app had just closed says nothing about the app: with no other target,
      // the same one is tried again on a fresh connection.
      const stale = upstream.reusedSocket && !failure.ejectNow && target.healthy && !target.draining;
      const next = this.service.pickRetry(target, this.pinnedRelease) ?? (stale ? target : null);
      if (next !== null) {
        target.end(this);
        this.send(next);
        return;
      }
    }
    this.fail(502, `service ${this.service.name} target ${target.id} failed: ${failure.reason}`);
  }

  onResponseClose(upstreamRes: IncomingMessage): void {
    if (this.done || upstreamRes !== this.upstreamRes || upstreamRes.complete) return;
    this.service.targetFailed(this.target!, 'response cut short', false);
    this.fail(502, 'upstream response cut short');
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
    this.upstream?.destroy();
  }

  /** Drain timeout: answer 504 if nothing was sent yet, otherwise cut the response. */
  cancel(): void {
    if (this.done) return;
    const upstream = this.upstream;
    this.fail(504, `service ${this.service.name} target ${this.target!.id} was removed and the request outlived the drain timeout`);
    this.finish();
    upstream?.destroy();
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

function onClientFinish(this: Tagged<ServerResponse>): void {
  this[kExchange]!.onClientFinish();
}

function onClientClose(this: Tagged<ServerResponse>): void {
  this[kExchange]!.onClientClose();
}

function onUpstreamResponse(this: Tagged<ClientRequest>, upstreamRes: IncomingMessage): void {
  this[kExchange]!.onResponse(this, upstreamRes);
}

function onUpstreamError(this: Tagged<ClientRequest>, error: NodeJS.ErrnoException): void {
  this[kExchange]!.onUpstreamError(this, error);
}

function onUpstreamResponseClose(this: Tagged<IncomingMessage>): void {
  this[kExchange]!.onResponseClose(this);
}

function onUpstreamTimeout(this: Tagged<ClientRequest>): void {
  this[kExchange]!.onTimeout(this);
}

function onUpstreamSocket(this: Tagged<ClientRequest>, socket: Tagged<Socket>): void {
  const exchange = this[kExchange]!;
  if (!socket.connecting) {
    exchange.onConnected(socket);
    return;
  }
  socket.setTimeout(exchange.service.timeouts.connectMs);
  socket[kExchange] = exchange;
  socket.once('connect', onUpstreamConnect);
}

function onUpstreamConnect(this: Tagged<Socket>): void {
  const exchange = this[kExchange]!;
  this[kExchange] = undefined;
  exchange.onConnected(this);
}
