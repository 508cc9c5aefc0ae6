import type { Socket } from 'node:net';
import type { Target, TrackedWebSocket } from './target.ts';
import { CLOSE_SERVICE_RESTART, closeFrame, FrameBoundary } from './websocket-frames.ts';

/** How long a client gets to answer the proxy's close frame before its connection is dropped. */
export const CLOSE_HANDSHAKE_MS = 1000;

/**
 * Raw byte piping between a client and an upstream after a `101 Switching Protocols`: either side
 * closing or failing closes both. For a WebSocket the upstream-to-client frames are followed (their
 * lengths only), so that when the proxy must end the tunnel itself (the instance is retired and its
 * grace ran out) the client gets a close frame (1012, service restart) between two frames instead of
 * a cut connection (1006); other upgraded protocols are piped blind and cut.
 */
export class WebSocketTunnel implements TrackedWebSocket {
  readonly #client: Socket;
  readonly #upstream: Socket;
  readonly #target: Target;
  /** Frame tracking of the upstream-to-client direction; null for a protocol that is not WebSocket. */
  readonly #frames: FrameBoundary | null;
  #closed = false;
  /** The proxy is ending the tunnel: forward up to the next frame boundary, then send the close frame. */
  #closing = false;
  #closeSent = false;

  constructor(client: Socket, upstream: Socket, target: Target, websocket = false) {
    this.#client = client;
    this.#upstream = upstream;
    this.#target = target;
    this.#frames = websocket ? new FrameBoundary() : null;
  }

  /** `clientHead`/`upstreamHead`: bytes that arrived with the handshake, to pass on first. */
  open(clientHead: Buffer, upstreamHead: Buffer): void {
    const client = this.#client;
    const upstream = this.#upstream;
    const destroy = (): void => this.#destroy();
    // The upstream socket came from a keep-alive agent whose idle timeout must not apply any more.
    upstream.setTimeout(0);
    client.setTimeout(0);
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    client.on('error', destroy).on('close', destroy);
    upstream.on('error', destroy);
    this.#target.addWebSocket(this);
    // A side that closed during the handshake will never emit 'close' again.
    if (client.destroyed || upstream.destroyed) {
      this.#destroy();
      return;
    }
    if (clientHead.length > 0) upstream.write(clientHead);
    client.pipe(upstream);
    if (this.#frames === null) {
      upstream.on('close', destroy);
      if (upstreamHead.length > 0) client.write(upstreamHead);
      upstream.pipe(client);
      return;
    }
    // The app ended its side (after its own close frame, say): what it sent still reaches the client.
    upstream.on('close', () => this.#upstreamClosed());
    upstream.on('data', (chunk: Buffer) => this.#fromUpstream(chunk));
    client.on('drain', () => upstream.resume());
    if (upstreamHead.length > 0) this.#fromUpstream(upstreamHead);
  }

  /** The instance's grace is over: a WebSocket is told why and closed at a frame boundary; anything else is cut. */
  close(): void {
    if (this.#closed || this.#closing) return;
    if (this.#frames === null || this.#client.destroyed || !this.#client.writable) {
      this.#destroy();
      return;
    }
    this.#closing = true;
    this.#client.unpipe(this.#upstream);
    // An upstream stalled in the middle of a frame is not waited for long.
    setTimeout(() => this.#destroy(), CLOSE_HANDSHAKE_MS).unref();
    if (this.#frames.atBoundary) this.#sendClose();
  }

  #fromUpstream(chunk: Buffer): void {
    if (this.#closed || this.#closeSent) return;
    const end = this.#frames!.push(chunk);
    if (!this.#closing) {
      if (!this.#client.write(chunk)) this.#upstream.pause();
      return;
    }
    // Closing mid-frame: the frame in progress goes out whole (with any whole frames after it in this chunk), then the close frame.
    if (end === -1) {
      this.#client.write(chunk);
      return;
    }
    this.#client.write(chunk.subarray(0, end));
    this.#sendClose();
  }

  #upstreamClosed(): void {
    if (this.#closed || this.#closeSent) return;
    if (this.#closing && this.#frames!.atBoundary) {
      this.#sendClose();
      return;
    }
    this.#target.removeWebSocket(this);
    this.#client.end();
    setTimeout(() => this.#destroy(), CLOSE_HANDSHAKE_MS).unref();
  }

  #sendClose(): void {
    this.#closeSent = true;
    this.#upstream.destroy();
    this.#client.end(closeFrame(CLOSE_SERVICE_RESTART, 'instance retired'));
    // The client answers with its own close frame and closes; one that does not is dropped (timer in close()).
    this.#target.removeWebSocket(this);
  }

  #destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.destroy();
    this.#upstream.destroy();
    this.#target.removeWebSocket(this);
  }
}
