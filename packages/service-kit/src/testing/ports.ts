import { createServer, type Server } from 'node:net';

/**
 * Ports for tests, handed out so that test processes running side by side never collide.
 *
 * The host's port space is cut into blocks of {@link BLOCK_SIZE} below the kernel's ephemeral
 * range (32768 and up on Linux: `listen(0)` and outgoing connections take ports there, so a port
 * from that range that was free a moment ago can be taken by anyone). A test process claims a
 * block by listening on its first port for as long as it lives: the listening socket is the lock,
 * across processes, and the kernel lets it go when the process exits, however it exits. The rest of
 * the block is the process's own: {@link freePort} hands its ports out one by one and
 * {@link reservePortRange} hands out whole blocks for an agent's `portRange`.
 *
 * 20000-29999 is left out: it is cutover's default `agent.portRange`, which configs in tests that
 * set none still use.
 */
export const BLOCK_SIZE = 100;
const REGIONS: ReadonlyArray<readonly [number, number]> = [
  [10_000, 19_999],
  [30_000, 32_699],
];

const claimedBlocks: Server[] = [];
let current: { next: number; last: number } | undefined;
let refill: Promise<void> | undefined;

/** The first ports of every block, in a random order (processes started together try different blocks first). */
function candidateBlocks(): number[] {
  const firsts: number[] = [];
  for (const [low, high] of REGIONS) {
    for (let first = low; first + BLOCK_SIZE - 1 <= high; first += BLOCK_SIZE) firsts.push(first);
  }
  for (let i = firsts.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [firsts[i], firsts[j]] = [firsts[j] as number, firsts[i] as number];
  }
  return firsts;
}

function listenOn(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.unref();
      resolve(server);
    });
  });
}

function canBind(port: number): Promise<boolean> {
  return listenOn(port).then((server) => {
    if (!server) return false;
    return new Promise<boolean>((resolve) => server.close(() => resolve(true)));
  });
}

/**
 * Claims a block for this process and returns its usable ports, `[first, last]` (the block minus
 * the lock port): `size` of them, at most `BLOCK_SIZE - 1`. Use it for an agent's `portRange` in a
 * test, never a fixed range.
 */
export async function reservePortRange(size = BLOCK_SIZE - 1): Promise<[number, number]> {
  if (!Number.isInteger(size) || size < 1 || size > BLOCK_SIZE - 1) {
    throw new RangeError(`reservePortRange: size must be 1-${BLOCK_SIZE - 1}, got ${size}`);
  }
  for (const first of candidateBlocks()) {
    const lock = await listenOn(first);
    if (!lock) continue;
    claimedBlocks.push(lock);
    return [first + 1, first + size];
  }
  throw new Error(`reservePortRange: every block of ${BLOCK_SIZE} ports in ${JSON.stringify(REGIONS)} is claimed`);
}

/**
 * A loopback port for a server a test starts: taken from a block this process claimed, and free
 * right now (something outside the tests may still listen in the block: such ports are skipped).
 * No other test process hands out the same port.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    while (!current || current.next > current.last) {
      // One claim at a time: callers waiting together share the block it brings.
      refill ??= reservePortRange().then(
        ([first, last]) => {
          current = { next: first, last };
          refill = undefined;
        },
        (error: unknown) => {
          refill = undefined;
          throw error;
        },
      );
      await refill;
    }
    const port = current.next++;
    if (await canBind(port)) return port;
  }
}
