// Two payments processes on one database, as behind the proxy: a retry may land on the other one.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createJwtSigner, generateSigningKey } from '@cutover/service-kit';
import { requestJson } from '@cutover/service-kit/testing';
import { paymentsEnv, TEST_AUDIENCE, TEST_ISSUER } from '../../test/support/service-env.ts';
import { type ServiceProcess, startServiceProcess } from '../../test/support/service-process.ts';
import { createTestDatabase, migrate, type TestDatabase } from '../../test/support/test-database.ts';

describe('two payments instances on one database (child processes)', () => {
  let db: TestDatabase;
  let jwksServer: Server;
  let a: ServiceProcess;
  let b: ServiceProcess;
  let token: string;

  before(async () => {
    db = await createTestDatabase('payments_two');
    await migrate('payments', db.url);
    const signer = await createJwtSigner({ issuer: TEST_ISSUER, keys: [await generateSigningKey('EdDSA')] });
    token = await signer.sign({ subject: 'user-two', audience: TEST_AUDIENCE, scopes: ['payments:read', 'payments:write'] });
    jwksServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(signer.jwks())));
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as { port: number };
    const env = paymentsEnv({ databaseUrl: db.url, jwksUrl: `http://127.0.0.1:${port}/jwks.json` });
    [a, b] = await Promise.all([startServiceProcess('payments', env), startServiceProcess('payments', env)]);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await new Promise((resolve) => jwksServer?.close(resolve));
    await db?.drop();
  });

  const create = (instance: ServiceProcess, key: string, body: unknown = { amount: 1234, currency: 'EUR' }) =>
    requestJson(`${instance.url}/`, { body, token, headers: { 'idempotency-key': `"${key}"` } });

  test('a create retried on the other instance returns the same payment', async () => {
    const key = randomUUID();
    const first = await create(a, key);
    const retry = await create(b, key);
    assert.equal(first.status, 201);
    assert.equal(retry.status, 201);
    assert.equal(retry.body.id, first.body.id);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(retry.body, first.body);
  });

  test('the same create sent to both instances at once makes one payment', async () => {
    const keys = Array.from({ length: 15 }, () => randomUUID());
    const answers = await Promise.all(keys.flatMap((key) => [create(a, key), create(b, key)]));
    for (const answer of answers) assert.ok([201, 409].includes(answer.status), `status ${answer.status}`);
    // A 409 means "the other one is still running it": a retry gets the stored answer.
    for (const [i, key] of keys.entries()) {
      const ids = new Set(
        answers
          .slice(i * 2, i * 2 + 2)
          .filter((r) => r.status === 201)
          .map((r) => r.body.id),
      );
      const retry = await create(b, key);
      assert.equal(retry.status, 201);
      ids.add(retry.body.id);
      assert.equal(ids.size, 1, `one payment for key ${key}`);
    }
    const { rows } = await db.pool.query(
      'SELECT idempotency_key, count(*)::int AS n FROM payments WHERE idempotency_key = ANY($1) GROUP BY idempotency_key HAVING count(*) > 1',
      [keys],
    );
    assert.deepEqual(rows, []);
  });

  test('captures raced across both instances capture once', async () => {
    const { body: payment } = await create(a, randomUUID(), { amount: 5000, currency: 'USD' });
    assert.equal((await requestJson(`${b.url}/${payment.id}/authorize`, { method: 'POST', token })).status, 200);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => requestJson(`${(i % 2 ? a : b).url}/${payment.id}/capture`, { method: 'POST', token })),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    assert.equal(results.filter((r) => r.status === 409).length, 19);
  });

  test('SIGTERM: readiness fails, the process drains and exits 0', async () => {
    const code = await b.stop(15_000);
    assert.equal(code, 0, b.output().slice(-2000));
    assert.match(b.output(), /draining: readiness now fails/);
    assert.equal((await requestJson(`${a.url}/health/ready`)).status, 200, 'the other instance is unaffected');
  });
});
