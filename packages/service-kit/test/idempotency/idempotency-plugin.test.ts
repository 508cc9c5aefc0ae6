import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import pg from 'pg';
import {
  createIdempotencyStore,
  createIdempotencyTable,
  createService,
  type IdempotencyStore,
  requestFingerprint,
  type Service,
} from '../../src/index.ts';
import { captureLines } from '../helpers/capture-lines.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';
import { waitFor } from '../helpers/wait-for.ts';

let db: TestDatabase;
const pools: pg.Pool[] = [];
const services: Service[] = [];
let handlerRuns = 0;
let gate: Promise<void> | undefined;
let entered = 0;

/** One instance of a toy payments service on the shared database. */
async function startInstance(name: string, storeOptions: { retentionMs?: number } = {}) {
  const pool = new pg.Pool({ connectionString: db.url, max: 5 });
  // The database is dropped WITH (FORCE) at the end: an idle client still closing then must not crash the runner.
  pool.on('error', () => undefined);
  pools.push(pool);
  const store = createIdempotencyStore({ pool, ...storeOptions });
  const service = createService({
    name,
    logDestination: captureLines(),
    defaultMetrics: false,
    shutdown: { handleSignals: false, delayMs: 0 },
    idempotency: { store, scope: (request) => String(request.headers['x-principal'] ?? 'anonymous') },
  });
  service.app.post('/payments', { config: { idempotency: true } }, async (request, reply) => {
    handlerRuns++;
    entered++;
    if (gate) await gate;
    const body = request.body as { amount: number };
    if (body.amount < 0) return reply.code(400).send({ error: 'amount must be positive' });
    if (body.amount === 503) return reply.code(503).send({ error: 'issuer unavailable' });
    const id = randomUUID();
    return reply.code(201).header('location', `/payments/${id}`).send({ id, amount: body.amount, servedBy: name });
  });
  service.app.post('/notes', { config: { idempotency: { required: false } } }, async () => {
    handlerRuns++;
    return { ok: handlerRuns };
  });
  const { url } = await service.start();
  services.push(service);
  return { url, store, service };
}

let a: { url: string; store: IdempotencyStore };
let b: { url: string; store: IdempotencyStore };

const post = async (base: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
};

before(async () => {
  db = await createTestDatabase('idempotency');
  await createIdempotencyTable(db.pool);
  a = await startInstance('payments-a');
  b = await startInstance('payments-b');
});

after(async () => {
  gate = undefined;
  for (const service of services) await service.stop().catch(() => {});
  for (const pool of pools) await pool.end().catch(() => {});
  await db.drop();
});

beforeEach(() => {
  handlerRuns = 0;
  entered = 0;
  gate = undefined;
});

describe('Idempotency-Key over two instances sharing PostgreSQL', () => {
  test('first request runs; a retry to either instance replays the stored response', async () => {
    const key = randomUUID();
    const first = await post(
      a.url,
      '/payments',
      { amount: 1250, currency: 'EUR' },
      { 'idempotency-key': `"${key}"`, 'x-principal': 'merchant-1' },
    );
    assert.equal(first.status, 201);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const againOnB = await post(
      b.url,
      '/payments',
      { currency: 'EUR', amount: 1250 },
      { 'idempotency-key': `"${key}"`, 'x-principal': 'merchant-1' },
    );
    assert.equal(againOnB.status, 201);
    assert.equal(againOnB.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(againOnB.body, first.body, 'same body, though B never ran the handler');
    assert.equal(againOnB.headers.get('location'), first.headers.get('location'));
    assert.match(againOnB.headers.get('content-type') ?? '', /^application\/json/);
    const againOnA = await post(
      a.url,
      '/payments',
      { amount: 1250, currency: 'EUR' },
      { 'idempotency-key': key, 'x-principal': 'merchant-1' },
    );
    assert.equal(againOnA.headers.get('idempotent-replayed'), 'true', 'an unquoted key is the same key');
    assert.equal(handlerRuns, 1);
  });

  test('simultaneous duplicates on both instances: exactly one runs, the other gets 409', async () => {
    let open!: () => void;
    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const keys = Array.from({ length: 5 }, () => randomUUID());
    const pending = keys.flatMap((key) => [
      post(a.url, '/payments', { amount: 10 }, { 'idempotency-key': key }),
      post(b.url, '/payments', { amount: 10 }, { 'idempotency-key': key }),
    ]);
    await waitFor('handlers to be entered', () => (entered >= keys.length ? true : undefined));
    // Every key now has a request parked in the handler; its twin must already have been answered.
    await new Promise((resolve) => setTimeout(resolve, 100));
    open();
    const results = await Promise.all(pending);
    for (let i = 0; i < keys.length; i++) {
      const pair = [results[2 * i], results[2 * i + 1]].map((result) => result.status).sort();
      assert.deepEqual(pair, [201, 409], `key ${i}`);
      const conflict = results[2 * i].status === 409 ? results[2 * i] : results[2 * i + 1];
      assert.equal(conflict.headers.get('retry-after'), '1');
      assert.match(conflict.headers.get('content-type') ?? '', /^application\/problem\+json/);
    }
    assert.equal(handlerRuns, keys.length);
    const retry = await post(b.url, '/payments', { amount: 10 }, { 'idempotency-key': keys[0] });
    assert.equal(retry.status, 201);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
  });

  test('same key with a different payload or path gets 422', async () => {
    const key = randomUUID();
    assert.equal((await post(a.url, '/payments', { amount: 5 }, { 'idempotency-key': key })).status, 201);
    const other = await post(b.url, '/payments', { amount: 6 }, { 'idempotency-key': key });
    assert.equal(other.status, 422);
    assert.equal(other.body.status, 422);
    assert.equal((await post(a.url, '/notes', { amount: 5 }, { 'idempotency-key': key })).status, 422);
    assert.equal(handlerRuns, 1);
  });

  test('missing or malformed key on a route that requires one gets 400; optional routes run without', async () => {
    assert.equal((await post(a.url, '/payments', { amount: 5 })).status, 400);
    assert.equal((await post(a.url, '/payments', { amount: 5 }, { 'idempotency-key': 'x'.repeat(256) })).status, 400);
    assert.equal((await post(a.url, '/payments', { amount: 5 }, { 'idempotency-key': '"a", "b"' })).status, 400);
    assert.equal(handlerRuns, 0);
    assert.equal((await post(a.url, '/notes', {})).status, 200);
    assert.equal((await post(a.url, '/notes', {})).status, 200);
    assert.equal(handlerRuns, 2);
  });

  test('keys are scoped by principal: the same key from two callers is two requests', async () => {
    const key = randomUUID();
    const one = await post(a.url, '/payments', { amount: 7 }, { 'idempotency-key': key, 'x-principal': 'm-1' });
    const two = await post(a.url, '/payments', { amount: 7 }, { 'idempotency-key': key, 'x-principal': 'm-2' });
    assert.equal(two.headers.get('idempotent-replayed'), null);
    assert.notEqual(one.body.id, two.body.id);
    assert.equal(handlerRuns, 2);
  });

  test('error responses are replayed; 503 is not stored so a retry runs again', async () => {
    const key = randomUUID();
    const bad = await post(a.url, '/payments', { amount: -1 }, { 'idempotency-key': key });
    assert.equal(bad.status, 400);
    const badAgain = await post(b.url, '/payments', { amount: -1 }, { 'idempotency-key': key });
    assert.equal(badAgain.status, 400);
    assert.equal(badAgain.headers.get('idempotent-replayed'), 'true');
    const transientKey = randomUUID();
    assert.equal((await post(a.url, '/payments', { amount: 503 }, { 'idempotency-key': transientKey })).status, 503);
    const retried = await post(b.url, '/payments', { amount: 503 }, { 'idempotency-key': transientKey });
    assert.equal(retried.headers.get('idempotent-replayed'), null);
    assert.equal(handlerRuns, 3);
  });
});

describe('retention', () => {
  test('an expired key is a new request, and purgeExpired removes it', async () => {
    const shortLived = await startInstance('payments-short', { retentionMs: 400 });
    const key = randomUUID();
    assert.equal((await post(shortLived.url, '/payments', { amount: 1 }, { 'idempotency-key': key })).status, 201);
    assert.equal((await post(shortLived.url, '/payments', { amount: 2 }, { 'idempotency-key': key })).status, 422);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const reused = await post(shortLived.url, '/payments', { amount: 2 }, { 'idempotency-key': key });
    assert.equal(reused.status, 201, 'after expiry the key is free again');
    assert.equal(reused.headers.get('idempotent-replayed'), null);
    const otherKey = randomUUID();
    await post(shortLived.url, '/payments', { amount: 3 }, { 'idempotency-key': otherKey });
    await new Promise((resolve) => setTimeout(resolve, 600));
    const purged = await shortLived.store.purgeExpired();
    assert.equal(purged, 2);
    const left = await db.pool.query('SELECT count(*)::int AS n FROM idempotency_keys WHERE idempotency_key = ANY($1)', [[key, otherKey]]);
    assert.equal(left.rows[0].n, 0);
  });
});

describe('idempotency store', () => {
  const request = (key: string, body: unknown = { a: 1 }) => ({
    scope: 's',
    key,
    fingerprint: requestFingerprint({ method: 'POST', path: '/x', body }),
    method: 'POST',
    path: '/x',
  });

  test('a stale in-flight lock (crashed instance) is taken over by the same request after lockTimeoutMs', async () => {
    const store = createIdempotencyStore({ pool: db.pool, lockTimeoutMs: 300 });
    const key = randomUUID();
    const crashed = await store.begin(request(key));
    assert.equal(crashed.outcome, 'acquired');
    assert.equal((await store.begin(request(key))).outcome, 'in_flight');
    assert.equal((await store.begin(request(key, { a: 2 }))).outcome, 'mismatch');
    await new Promise((resolve) => setTimeout(resolve, 450));
    const retry = await store.begin(request(key));
    assert.equal(retry.outcome, 'acquired');
    if (crashed.outcome !== 'acquired' || retry.outcome !== 'acquired') return;
    const response = { statusCode: 200, headers: {}, body: Buffer.from('late') };
    assert.equal(await store.complete('s', key, crashed.token, response), false, 'the old owner lost its lock');
    assert.equal(await store.complete('s', key, retry.token, { ...response, body: Buffer.from('ok') }), true);
    const replay = await store.begin(request(key));
    assert.equal(replay.outcome, 'replay');
    if (replay.outcome === 'replay') assert.equal(replay.response.body.toString(), 'ok');
  });

  test('release frees the key for a fresh run', async () => {
    const store = createIdempotencyStore({ pool: db.pool });
    const key = randomUUID();
    const first = await store.begin(request(key));
    assert.equal(first.outcome, 'acquired');
    if (first.outcome !== 'acquired') return;
    assert.equal(await store.release('s', key, first.token), true);
    assert.equal((await store.begin(request(key, { other: true }))).outcome, 'acquired');
  });
});
