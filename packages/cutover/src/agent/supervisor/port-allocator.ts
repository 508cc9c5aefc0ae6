import { createServer } from 'node:net';
import { CutoverError } from '../../errors/cutover-error.ts';

/**
 * Hands out private ports from a range. A port is given only when this allocator does not hold
 * it and a bind on 127.0.0.1 succeeds right now, so ports used by anything else on the host are
 * skipped. The search continues after the last port handed out: a just-released port is reused
 * last, which keeps a stale proxy target or TIME_WAIT socket from meeting a new instance.
 */
export class PortAllocator {
  readonly #first: number;
  readonly #last: number;
  readonly #held = new Set<number>();
  #cursor: number;

  constructor(range: readonly [number, number]) {
    [this.#first, this.#last] = range;
    this.#cursor = this.#first;
  }

  async allocate(): Promise<number> {
    const size = this.#last - this.#first + 1;
    for (let i = 0; i < size; i++) {
      const port = this.#first + ((this.#cursor - this.#first + i) % size);
      if (this.#held.has(port)) continue;
      // Held before the bind test so a concurrent allocate() cannot pick the same port.
      this.#held.add(port);
      if (await canBind(port)) {
        this.#cursor = port + 1 > this.#last ? this.#first : port + 1;
        return port;
      }
      this.#held.delete(port);
    }
    throw new CutoverError('CUT_ERR_AGENT_NO_PORTS', `No free port is left in ${this.#first}-${this.#last}.`, {
      where: `agent.portRange [${this.#first}, ${this.#last}]`,
      hint: 'Widen agent.portRange in cutover.yml or stop instances that are no longer needed.',
      details: { portRange: [this.#first, this.#last], held: this.#held.size },
    });
  }

  /** Marks a port as in use without testing it (an adopted instance already listens on it). */
  hold(port: number): void {
    this.#held.add(port);
  }

  release(port: number): void {
    this.#held.delete(port);
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
