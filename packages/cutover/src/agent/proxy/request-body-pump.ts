import type { IncomingMessage } from 'node:http';
import type net from 'node:net';

/** The upstream connection a body is sent on: told once the body is written. */
export interface BodyPumpOwner {
  bodySent(pump: BodyPump): void;
}

/** Streams a client's request body to the app socket, chunk-encoded when it has no Content-Length. */
export class BodyPump {
  readonly #connection: BodyPumpOwner;
  readonly socket: net.Socket;
  readonly #body: IncomingMessage;
  readonly #chunked: boolean;

  constructor(connection: BodyPumpOwner, socket: net.Socket, body: IncomingMessage, chunked: boolean) {
    this.#connection = connection;
    this.socket = socket;
    this.#body = body;
    this.#chunked = chunked;
  }

  start(): void {
    const body = this.#body;
    const onData = (chunk: Buffer): void => this.#write(chunk);
    const onDrain = (): void => {
      body.resume();
    };
    const onEnd = (): void => {
      stop();
      if (this.socket.destroyed) return;
      if (this.#chunked) this.socket.write('0\r\n\r\n', 'latin1');
      this.#connection.bodySent(this);
    };
    const stop = (): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      this.socket.off('drain', onDrain);
      this.socket.off('close', stop);
    };
    body.on('data', onData);
    body.on('end', onEnd);
    this.socket.on('drain', onDrain);
    this.socket.on('close', stop);
    if (body.readableEnded) onEnd();
  }

  #write(chunk: Buffer): void {
    const socket = this.socket;
    if (socket.destroyed || chunk.length === 0) return;
    let ok: boolean;
    if (this.#chunked) {
      socket.cork();
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      ok = socket.write('\r\n', 'latin1');
      socket.uncork();
    } else ok = socket.write(chunk);
    if (!ok) this.#body.pause();
  }
}
