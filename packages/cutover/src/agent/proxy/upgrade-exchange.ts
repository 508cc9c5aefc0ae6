import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { buildClientResponseHeaders, buildRawResponseHead, type UpstreamHead } from './forward-headers.ts';
import { writeRawProxyError } from './proxy-responses.ts';
import type { ProxyService } from './proxy-service.ts';
import type { InFlightExchange, Target } from './target.ts';
import { classifyUpstreamError, mayRetry } from './upstream-failure.ts';
import { WebSocketTunnel } from './websocket-tunnel.ts';

/**
 * An `Upgrade` request (a WebSocket handshake) on its way through the proxy. It is in flight until the
 * upstream answers; a `101` turns it into a WebSocketTunnel owned by the target, any other answer is
 * relayed and the connection closed. Upgrades are rare next to requests, so plain closures are fine.
 */
export class UpgradeExchange implements InFlightExchange {
  readonly #service: ProxyService;
  readonly #req: IncomingMessage;
  readonly #client: Socket;
  readonly #clientHead: Buffer;
  readonly #head: UpstreamHead;
  readonly #path: string;
  readonly startedMs: number;
  counted = true;
  #target: Target | null = null;
  #upstream: ClientRequest | null = null;
  #attempts = 0;
  #done = false;

  constructor(
    service: ProxyService,
    req: IncomingMessage,
    client: Socket,
    clientHead: Buffer,
    head: UpstreamHead,
    path: string,
    startedMs: number,
  ) {
    this.#service = service;
    this.#req = req;
    this.#client = client;
    this.#clientHead = clientHead;
    this.#head = head;
    this.#path = path;
    this.startedMs = startedMs;
  }

  start(target: Target): void {
    this.#client.on('error', () => this.#client.destroy());
    this.#client.on('close', () => this.#onClientClose());
    this.#send(target);
  }

  /** Drain timeout during the handshake. */
  cancel(): void {
    if (this.#done) return;
    writeRawProxyError(this.#client, 504, `service ${this.#service.name} target ${this.#target!.id} was removed during the upgrade`);
    this.#finish(504, true);
    this.#upstream?.destroy();
  }

  #send(target: Target): void {
    this.#attempts++;
    this.#target = target;
    target.begin(this);
    const upstream = http.request({
      agent: target.agent,
      host: target.host,
      port: target.port,
      method: this.#req.method,
      path: this.#path,
      headers: this.#head.headers,
      setHost: false,
    });
    this.#upstream = upstream;
    upstream.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => this.#onUpgrade(upstream, res, socket, head));
    upstream.on('response', (res: IncomingMessage) => this.#onResponse(upstream, res));
    upstream.on('error', (error: NodeJS.ErrnoException) => this.#onError(upstream, error));
    // One bound for the whole handshake (connect and answer): the tunnel itself has no timeout.
    upstream.setTimeout(this.#service.timeouts.connectMs + this.#service.timeouts.responseMs, () => this.#onTimeout(upstream));
    upstream.end();
  }

  #onUpgrade(upstream: ClientRequest, res: IncomingMessage, socket: Socket, head: Buffer): void {
    if (this.#done || upstream !== this.#upstream) {
      socket.destroy();
      return;
    }
    const target = this.#target!;
    target.succeeded();
    if (!this.#client.destroyed) this.#client.write(buildRawResponseHead(101, res.statusMessage ?? 'Switching Protocols', res.rawHeaders));
    const websocket = /^websocket$/i.test(String(res.headers.upgrade ?? ''));
    new WebSocketTunnel(this.#client, socket, target, websocket).open(this.#clientHead, head);
    this.#finish(101, false);
  }

  /** The upstream refused the upgrade: relay its answer, then close (the client expects no reuse). */
  #onResponse(upstream: ClientRequest, res: IncomingMessage): void {
    if (this.#done || upstream !== this.#upstream) {
      res.resume();
      return;
    }
    const status = res.statusCode ?? 502;
    this.#target!.succeeded();
    const headers = buildClientResponseHeaders(res.rawHeaders);
    headers.push('Connection', 'close');
    this.#client.write(buildRawResponseHead(status, res.statusMessage ?? '', headers));
    res.pipe(this.#client);
    this.#finish(status, false);
  }

  #onError(upstream: ClientRequest, error: NodeJS.ErrnoException): void {
    if (this.#done || upstream !== this.#upstream) return;
    const target = this.#target!;
    const failure = classifyUpstreamError(error, true, upstream.reusedSocket);
    this.#service.targetFailed(target, failure.reason, failure.ejectNow);
    if (this.#attempts === 1 && mayRetry(failure, this.#req.method ?? 'GET', false)) {
      const next = this.#service.pick(target);
      if (next !== null) {
        target.end(this);
        this.#send(next);
        return;
      }
    }
    writeRawProxyError(this.#client, 502, `service ${this.#service.name} target ${target.id} failed: ${failure.reason}`);
    this.#finish(502, true);
  }

  #onTimeout(upstream: ClientRequest): void {
    if (this.#done || upstream !== this.#upstream) return;
    const { connectMs, responseMs } = this.#service.timeouts;
    writeRawProxyError(
      this.#client,
      504,
      `service ${this.#service.name} target ${this.#target!.id} did not answer the upgrade within ${connectMs + responseMs} ms`,
    );
    this.#finish(504, true, true);
    upstream.destroy();
  }

  #onClientClose(): void {
    if (this.#done) return;
    this.#finish(0, false);
    this.#upstream?.destroy();
  }

  /** status 0: the client left before any answer; nothing is recorded. */
  #finish(status: number, proxyError: boolean, timedOut = false): void {
    if (this.#done) return;
    this.#done = true;
    const target = this.#target!;
    target.end(this);
    if (status !== 0 && this.counted)
      this.#service.record(target.release, status, performance.now() - this.startedMs, proxyError, timedOut);
  }
}
