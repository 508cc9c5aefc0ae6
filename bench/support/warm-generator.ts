import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type OpenLoopOptions, startOpenLoopLoad } from './open-loop-load.ts';
import { sleep } from './processes.ts';

/**
 * Runs the load generator for `ms` against a local server that answers 200 at once, results thrown
 * away. The generator's own code is then compiled before the first contender's load: cold, its event
 * loop stalled 8-19 ms at a time in its first 100 ms (measured 2026-12-04), which only the contender
 * that runs first (cutover) paid, in its "before the first deploy" phase.
 */
export async function warmGenerator(load: Omit<OpenLoopOptions, 'url'>, ms: number): Promise<void> {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const traffic = startOpenLoopLoad({ ...load, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
    await sleep(ms);
    await traffic.stop();
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
