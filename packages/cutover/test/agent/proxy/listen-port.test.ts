import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Server } from 'node:net';
import { describe, test } from 'node:test';
import { LISTENERS_PER_PORT, listenGroup } from '../../../src/agent/proxy/listen-port.ts';
import { isCutoverError } from '../../../src/errors/cutover-error.ts';

const TEST = { timeout: 60_000 };
const QUEUED = 40;

/** Counts event-loop iterations (one setImmediate per iteration) and the connections each iteration accepted. */
function iterationCounter() {
  let iteration = 0;
  let running = true;
  const tick = () => {
    iteration++;
    if (running) setImmediate(tick);
  };
  tick();
  const accepted = new Map<number, number>();
  return {
    accept: () => accepted.set(iteration, (accepted.get(iteration) ?? 0) + 1),
    total: () => [...accepted.values()].reduce((a, b) => a + b, 0),
    iterations: () => accepted.size,
    stop: () => {
      running = false;
    },
  };
}

describe('listenGroup', () => {
  test('accepts connections queued while the event loop was busy faster than one per iteration', {
    ...TEST,
    skip: LISTENERS_PER_PORT === 1 && 'one socket per port on this platform',
  }, async (t) => {
    const counter = iterationCounter();
    const group = await listenGroup(
      () =>
        createServer((socket) => {
          counter.accept();
          socket.destroy();
        }),
      0,
      '127.0.0.1',
    );
    t.after(() => Promise.all(group.servers.map((s) => new Promise((r) => s.close(r)))));
    t.after(counter.stop);
    assert.equal(group.servers.length, LISTENERS_PER_PORT);
    // Another process connects QUEUED times while this loop is blocked, so all of them wait in the accept queues.
    const client = spawn(process.execPath, [
      '-e',
      `const net = require('node:net');
         let open = 0;
         for (let i = 0; i < ${QUEUED}; i++) net.connect(${group.port}, '127.0.0.1').on('connect', () => { if (++open === ${QUEUED}) console.log('connected'); }).on('error', () => {});
         setTimeout(() => process.exit(0), 30000);`,
    ]);
    t.after(() => client.kill());
    let connected = false;
    client.stdout.on('data', () => {
      connected = true;
    });
    while (!connected) {
      // Busy: the kernel completes the handshakes, this process does not accept yet.
      const end = Date.now() + 20;
      while (Date.now() < end);
      await new Promise((r) => setImmediate(r));
      if (counter.total() > 0) break;
    }
    const before = counter.total();
    const busyEnd = Date.now() + 200;
    while (Date.now() < busyEnd);
    while (counter.total() < QUEUED) await new Promise((r) => setImmediate(r));
    // One listening socket accepts one connection per iteration: QUEUED - before iterations.
    assert.ok(
      counter.iterations() < QUEUED - before,
      `${QUEUED} connections took ${counter.iterations()} iterations (${before} accepted before the busy spell)`,
    );
  });

  test('refuses a port another process shares with SO_REUSEPORT', TEST, async (t) => {
    const other = createServer();
    await new Promise<void>((resolve) => other.listen({ port: 0, host: '127.0.0.1', reusePort: true }, resolve));
    t.after(() => other.close());
    const port = (other.address() as { port: number }).port;
    const made: Server[] = [];
    await assert.rejects(
      listenGroup(
        () => {
          const server = createServer();
          made.push(server);
          return server;
        },
        port,
        '127.0.0.1',
      ),
      (error: unknown) => isCutoverError(error) && error.code === 'CUT_ERR_AGENT_PORT_IN_USE',
    );
    assert.ok(made.every((s) => !s.listening));
  });

  test('binds every socket of the group to the port it names', TEST, async (t) => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const group = await listenGroup(() => createServer(), port, '127.0.0.1');
    t.after(() => Promise.all(group.servers.map((s) => new Promise((r) => s.close(r)))));
    assert.equal(group.port, port);
    for (const server of group.servers) assert.equal((server.address() as { port: number }).port, port);
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.destroy();
  });
});
