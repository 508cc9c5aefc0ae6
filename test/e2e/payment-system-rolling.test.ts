// End to end: both services started by `cutover up` (one agent, routed by path prefix), mixed
// register/login/create-payment traffic through the proxy (HTTP and HTTPS) while both services
// are rolled from v1 to v2 one instance at a time. Zero failed requests, zero duplicate payments.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadClient, type MixedLoadResult, runMixedLoad } from '../../services/payment-system/test/support/mixed-load.ts';
import { createSystemSandbox, type SystemSandbox } from '../../services/payment-system/test/support/system-sandbox.ts';
import { sleep } from '../../services/payment-system/test/support/wait-for.ts';

/** The load runs at least this long, and at least one second past the second deploy. */
const MIN_LOAD_MS = 10_000;

describe('rolling deploy of the payment system under load', () => {
  let box: SystemSandbox;

  before(async () => {
    box = await createSystemSandbox({ label: 'e2e', releases: ['v1', 'v2'], pauseMs: '500ms' });
    // Auth first: payments verifies tokens with the auth service's JWKS, through the proxy (and its
    // pre-deploy checks ask for it). Each first deploy runs the pipeline: checks, backup, migrations.
    for (const service of ['auth', 'payments'] as const) {
      const up = await box.cli(service, ['up', '--release', 'v1']);
      assert.equal(up.code, 0, `cutover up ${service}:\n${up.stdout}\n${up.stderr}`);
      const migrations = await box.cli(service, ['migrate', 'status', '--release', 'v1']);
      assert.equal(migrations.code, 0, `${service} migrations applied by the deploy:\n${migrations.stdout}`);
    }
  });

  after(() => box?.cleanup());

  async function logsOnFailure(): Promise<string> {
    const parts = await Promise.all((['auth', 'payments'] as const).map((s) => box.cli(s, ['logs', '--lines', '40'], 20_000)));
    return parts.map((p) => p.stdout.slice(-4000)).join('\n');
  }

  test('v1 → v2 for auth then payments: 0 failed requests, no duplicate payment', async (t) => {
    const http = loadClient(`http://127.0.0.1:${box.httpPort}`);
    const https = loadClient(`https://localhost:${box.httpsPort}`, { ca: box.caCert });
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const email = `payer${i}@example.com`;
      const password = 'a long enough passphrase';
      assert.equal((await https.send('POST', '/auth/register', { email, password })).status, 201, 'register over TLS');
      const login = await http.send('POST', '/auth/login', { email, password });
      assert.equal(login.status, 200);
      tokens.push(login.body.access_token);
    }

    const stop = new AbortController();
    const startedAt = Date.now();
    const load = runMixedLoad({ clients: [http, https], tokens, paymentWorkers: 4, authWorkers: 1, authPauseMs: 200 }, stop.signal);
    let result: MixedLoadResult | undefined;
    try {
      await sleep(1_000);
      const deployed: Record<string, { code: number | null; record: { state: string; fromRelease: string; toRelease: string } | null }> =
        {};
      for (const service of ['auth', 'payments'] as const) {
        const deployStartedAt = Date.now();
        const deploy = await box.cli(service, ['deploy', 'v2', '--json']);
        t.diagnostic(`${service} v1 → v2 took ${Date.now() - deployStartedAt} ms (load started ${deployStartedAt - startedAt} ms before)`);
        let record = null;
        try {
          record = JSON.parse(deploy.stdout).deployment;
        } catch {
          // reported by the assertion below
        }
        deployed[service] = { code: deploy.code, record };
        assert.equal(deploy.code, 0, `deploy ${service} v2:\n${deploy.stdout}\n${deploy.stderr}`);
      }
      await sleep(Math.max(1_000, MIN_LOAD_MS - (Date.now() - startedAt)));
      stop.abort();
      result = await load;
      for (const service of ['auth', 'payments'] as const) {
        assert.equal(deployed[service].record?.state, 'succeeded');
        assert.equal(deployed[service].record?.fromRelease, 'v1');
        assert.equal(deployed[service].record?.toRelease, 'v2');
      }
    } finally {
      stop.abort();
      result ??= await load;
      http.close();
      https.close();
    }

    const summary = `${JSON.stringify(result.counts)} in ${result.durationMs} ms`;
    t.diagnostic(`requests: ${summary}; failures: ${result.failures.length}`);
    if (result.failures.length > 0) {
      assert.fail(`failed requests: ${JSON.stringify(result.failures.slice(0, 10), null, 1)}\n${summary}\n${await logsOnFailure()}`);
    }
    assert.ok(result.durationMs >= MIN_LOAD_MS, summary);
    assert.ok((result.counts.create ?? 0) >= 100, `enough payments were created: ${summary}`);
    assert.ok((result.counts['create-retry'] ?? 0) >= 20, summary);
    assert.ok((result.counts.login ?? 0) >= 3, `logins ran during the deploys: ${summary}`);
    assert.ok((result.counts.capture ?? 0) >= 20, summary);

    // Exactly one payment per idempotency key, and it is the one the first answer named.
    const { rows: duplicates } = await box.paymentsDb.pool.query(
      'SELECT owner, idempotency_key, count(*)::int AS n FROM payments GROUP BY owner, idempotency_key HAVING count(*) > 1',
    );
    assert.deepEqual(duplicates, []);
    const keys = [...result.createdByKey.keys()];
    const { rows } = await box.paymentsDb.pool.query('SELECT idempotency_key, id FROM payments WHERE idempotency_key = ANY($1)', [keys]);
    assert.equal(rows.length, keys.length);
    for (const row of rows) assert.equal(row.id, result.createdByKey.get(row.idempotency_key));

    for (const service of ['auth', 'payments'] as const) {
      const status = JSON.parse((await box.cli(service, ['status', '--json'])).stdout);
      assert.equal(status.serving, 'v2', `${service} serves v2`);
      assert.deepEqual(
        status.instances.map((i: { spec: { release: string } }) => i.spec.release),
        ['v2', 'v2'],
      );
    }
  });
});
