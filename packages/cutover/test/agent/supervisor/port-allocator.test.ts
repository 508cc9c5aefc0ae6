import assert from 'node:assert/strict';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { after, describe, test } from 'node:test';
import { freePort, reservePortRange } from '@cutover/service-kit/testing';
import { PortAllocator } from '../../../src/agent/supervisor/port-allocator.ts';

describe('PortAllocator', () => {
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) server.close();
  });

  /** Listens on an OS-chosen port, so the test never depends on a fixed port being free. */
  function occupy(host: string): Promise<number> {
    const server = createServer();
    servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
    });
  }

  test('skips ports another process listens on, on loopback or on any address', async () => {
    for (const host of ['127.0.0.1', '0.0.0.0']) {
      const busy = await occupy(host);
      await assert.rejects(new PortAllocator([busy, busy]).allocate(), { code: 'CUT_ERR_AGENT_NO_PORTS' }, host);
    }
  });

  test('never hands out a held port twice, even to concurrent callers, and reuses a released port last', async () => {
    const ports = new PortAllocator(await reservePortRange(10));
    const got = await Promise.all([ports.allocate(), ports.allocate(), ports.allocate()]);
    assert.equal(new Set(got).size, 3);
    ports.release(got[0]);
    const next = await ports.allocate();
    assert.notEqual(next, got[0], 'a just-released port is not the first choice');
    assert.ok(!got.includes(next));
  });

  test('adopted ports are held; an exhausted range is CUT_ERR_AGENT_NO_PORTS', async () => {
    const free = await freePort();
    const ports = new PortAllocator([free, free]);
    ports.hold(free);
    await assert.rejects(ports.allocate(), { code: 'CUT_ERR_AGENT_NO_PORTS' });
    ports.release(free);
    assert.equal(await ports.allocate(), free);
  });
});
