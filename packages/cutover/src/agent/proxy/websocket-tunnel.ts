import type { Socket } from 'node:net';
import type { Target, TrackedWebSocket } from './target.ts';

/**
 * Raw byte piping between a client and an upstream after a `101 Switching Protocols`: the proxy does
 * not parse frames, so any upgraded protocol works. Either side closing or failing closes both.
 */
export class WebSocketTunnel implements TrackedWebSocket {
  readonly #client: Socket;
  readonly #upstream: Socket;
  readonly #target: Target;
  #closed = false;

  constructor(client: Socket, upstream: Socket, target: Target) {
    this.#client = client;
    this.#upstream = upstream;
    this.#target = target;
  }

  /** `clientHead`/`upstreamHead`: bytes that arrived with the handshake, to pass on first. */
  open(clientHead: Buffer, upstreamHead: Buffer): void {
    const client = this.#client;
    const upstream = this.#upstream;
    const close = (): void => this.close();
    // The upstream socket came from a keep-alive agent whose idle timeout must not apply any more.
    upstream.setTimeout(0);
    client.setTimeout(0);
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    this.#target.addWebSocket(this);
    // A side that closed during the handshake will never emit 'close' again.
    if (client.destroyed || upstream.destroyed) {
      this.close();
      return;
    }
    if (upstreamHead.length > 0) client.write(upstreamHead);
    if (clientHead.length > 0) upstream.write(clientHead);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.destroy();
    this.#upstream.destroy();
    this.#target.removeWebSocket(this);
  }
}
