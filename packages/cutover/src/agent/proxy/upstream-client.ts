import {
  Connection,
  type ConnectionPool,
  type UpstreamClientOptions,
  type UpstreamHandler,
  type UpstreamRequest,
} from './upstream-connection.ts';

/**
 * The proxy's HTTP/1.1 client to one app instance: keep-alive sockets (unlimited, idle ones reused
 * last in, first out), one request at a time per socket. It does what the proxy needs and no more:
 * the request line and headers as the proxy built them, a body streamed from the client's request
 * (as is with Content-Length, chunked otherwise), the response parsed by ResponseParser and handed
 * to the handler as it arrives, backpressure both ways, three timeouts, and errors for the handler
 * to map to retries and 502/504. Upgrades do not come here (Node's agent serves the WebSocket path).
 */

export {
  BODY_TIMEOUT,
  CONNECT_TIMEOUT,
  HEADERS_TIMEOUT,
  UPSTREAM_CLOSED,
  type UpstreamClientOptions,
  type UpstreamController,
  type UpstreamHandler,
  type UpstreamRequest,
} from './upstream-connection.ts';

export class UpstreamClient implements ConnectionPool {
  readonly options: UpstreamClientOptions;
  /** Host header for a request that came without one. */
  readonly hostHeader: string;
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();
  #closed = false;
  #sweep: NodeJS.Timeout | null = null;

  constructor(options: UpstreamClientOptions) {
    this.options = options;
    this.hostHeader = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  }

  get connections(): number {
    return this.#all.size;
  }

  get idleConnections(): number {
    return this.#idle.length;
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    const now = performance.now();
    let connection = this.#idle.pop();
    while (connection !== undefined && now - connection.idleSinceMs >= connection.idleLimitMs) {
      connection.destroy();
      connection = this.#idle.pop();
    }
    if (connection === undefined) {
      connection = new Connection(this);
      this.#all.add(connection);
      connection.connect(request, handler);
    } else connection.reuse(request, handler);
  }

  /** Closes idle sockets now and each busy one once its response is done. */
  close(): void {
    this.#closed = true;
    for (const connection of this.#idle.splice(0)) connection.destroy();
    this.#stopSweep();
  }

  /** Closes every socket, busy or not. */
  destroy(): void {
    this.close();
    for (const connection of [...this.#all]) connection.destroy();
  }

  /** A connection finished its response and may carry another request. */
  release(connection: Connection): void {
    if (this.#closed) {
      connection.destroy();
      return;
    }
    connection.idleSinceMs = performance.now();
    this.#idle.push(connection);
    if (this.#sweep === null) {
      this.#sweep = setInterval(sweepIdle, Math.max(100, Math.min(1000, this.options.idleTimeoutMs / 4)), this);
      this.#sweep.unref();
    }
  }

  forget(connection: Connection): void {
    this.#all.delete(connection);
    const index = this.#idle.lastIndexOf(connection);
    if (index !== -1) this.#idle.splice(index, 1);
  }

  /** Closes idle sockets past their limit (a reuse checks the limit too: this only frees them sooner). */
  sweep(): void {
    const now = performance.now();
    for (const connection of this.#idle.filter((c) => now - c.idleSinceMs >= c.idleLimitMs)) connection.destroy();
    if (this.#idle.length === 0) this.#stopSweep();
  }

  #stopSweep(): void {
    if (this.#sweep !== null) clearInterval(this.#sweep);
    this.#sweep = null;
  }
}

function sweepIdle(client: UpstreamClient): void {
  client.sweep();
}
