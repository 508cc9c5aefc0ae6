import assert from 'node:assert/strict';
import { chmod, readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { accessoryDir } from '../../src/accessories/accessory-state.ts';
import { ensureAccessories } from '../../src/accessories/ensure-accessories.ts';
import { stopAccessories } from '../../src/accessories/stop-accessories.ts';
import { parseRedisUrl, probeRedis } from '../../src/checks/redis-probe.ts';
import type { LoadedConfig } from '../../src/config/load-config.ts';
import { isCutoverError } from '../../src/errors/cutover-error.ts';
import { closedPort, loadTestConfig, makeTempDir, REDIS_URL } from '../checks/fixtures.ts';

const isRoot = process.geteuid?.() === 0;

describe('accessories', () => {
  let temp: { dir: string; remove(): Promise<void> };
  const started: LoadedConfig[] = [];
  let liar: Server;
  let liarPort: number;
  const liarSockets = new Set<Socket>();

  before(async () => {
    temp = await makeTempDir('cutover-accessories');
    // PostgreSQL runs as the postgres user when we are root: it must be able to reach the data dir.
    await chmod(temp.dir, 0o755);
    liar = createServer((socket) => {
      liarSockets.add(socket);
      socket.on('close', () => liarSockets.delete(socket));
      socket.on('error', () => {});
      socket.end('-ERR this is not the redis you are looking for\r\n');
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    liarPort = (liar.address() as { port: number }).port;
  });
  after(async () => {
    for (const loaded of started) await stopAccessories(loaded).catch(() => {});
    for (const socket of liarSockets) socket.destroy();
    await new Promise((resolve) => liar?.close(resolve));
    await temp?.remove();
  });

  async function config(sub: string, accessories: Record<string, unknown>): Promise<LoadedConfig> {
    const { mkdir } = await import('node:fs/promises');
    const dir = join(temp.dir, sub);
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
    const loaded = await loadTestConfig(dir, { accessories }, 'shop-api');
    started.push(loaded);
    return loaded;
  }

  test('a reachable declared Redis is used as is', async () => {
    const loaded = await config('declared', { cache: { kind: 'redis', url: REDIS_URL, env: 'REDIS_URL' } });
    assert.deepEqual(await ensureAccessories(loaded), [
      { name: 'cache', kind: 'redis', env: 'REDIS_URL', url: REDIS_URL, started: false, private: false },
    ]);
  });

  test('unreachable with start: false is an error; a listening server that fails its check is another', async () => {
    const port = await closedPort();
    const off = await config('off', { cache: { kind: 'redis', port, start: false } });
    await assert.rejects(
      ensureAccessories(off),
      (error: unknown) => isCutoverError(error) && error.code === 'CUT_ERR_ACCESSORY_UNREACHABLE',
    );
    const liarConfig = await config('liar', { cache: { kind: 'redis', port: liarPort } });
    await assert.rejects(ensureAccessories(liarConfig), (error: unknown) => {
      assert.ok(isCutoverError(error));
      assert.equal(error.code, 'CUT_ERR_ACCESSORY_UNHEALTHY');
      assert.match(error.message, /not the redis you are looking for/);
      return true;
    });
  });

  test('private Redis: started on a free port when the declared one is down, reused, stopped', async () => {
    const port = await closedPort();
    const loaded = await config('redis', { cache: { kind: 'redis', host: '127.0.0.1', port } });
    const [first] = await ensureAccessories(loaded);
    assert.equal(first.started, true);
    assert.equal(first.private, true);
    const address = parseRedisUrl(first.url);
    assert.notEqual(address.port, port);
    assert.equal((await probeRedis(address, 2000)).outcome, 'pass');
    assert.equal((await probeRedis({ ...address, password: 'wrong' }, 2000)).outcome, 'fail', 'password required');
    const state = await readFile(join(accessoryDir(loaded, 'cache'), 'accessory.json'), 'utf8');
    assert.ok(state.includes(first.url));

    const [again] = await ensureAccessories(loaded);
    assert.deepEqual(again, { ...first, started: false });

    assert.deepEqual(await stopAccessories(loaded), [{ name: 'cache', stopped: true }]);
    assert.equal((await probeRedis(address, 1000)).outcome, 'fail');
    assert.deepEqual(await stopAccessories(loaded), [{ name: 'cache', stopped: false }]);
  });

  test('private PostgreSQL: initdb (as postgres when root), start, database created, stop', { timeout: 120_000 }, async () => {
    const loaded = await config('pg', { db: { kind: 'postgres', env: 'DATABASE_URL' } });
    const [status] = await ensureAccessories(loaded);
    assert.equal(status.started, true);
    assert.match(status.url, /^postgres:\/\/postgres:[0-9a-f]+@127\.0\.0\.1:\d+\/shop_api$/);
    const client = new pg.Client({ connectionString: status.url, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      const row = (await client.query('select current_database() as db, current_setting($1) as listen', ['listen_addresses'])).rows[0];
      assert.deepEqual(row, { db: 'shop_api', listen: '127.0.0.1' });
    } finally {
      await client.end();
    }
    const [again] = await ensureAccessories(loaded);
    assert.equal(again.started, false);
    assert.deepEqual(await stopAccessories(loaded), [{ name: 'db', stopped: true }]);
    const down = new pg.Client({ connectionString: status.url, connectionTimeoutMillis: 2000 });
    down.on('error', () => {});
    await assert.rejects(down.connect());
    await down.end().catch(() => {});

    const [restarted] = await ensureAccessories(loaded);
    assert.equal(restarted.started, true, 'the same cluster starts again (data kept, password kept)');
    assert.equal(new URL(restarted.url).password, new URL(status.url).password);
    assert.deepEqual(await stopAccessories(loaded), [{ name: 'db', stopped: true }]);
  });

  test('as root, a data dir the postgres user cannot reach is refused with a hint', {
    skip: !isRoot && 'only meaningful as root',
  }, async () => {
    const loaded = await config('closed', { db: { kind: 'postgres' } });
    await chmod(join(temp.dir, 'closed'), 0o700);
    await assert.rejects(ensureAccessories(loaded), (error: unknown) => {
      assert.ok(isCutoverError(error));
      assert.equal(error.code, 'CUT_ERR_ACCESSORY_START_FAILED');
      assert.match(error.hint ?? '', /chmod o\+x/);
      return true;
    });
  });
});
