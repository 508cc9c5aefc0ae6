import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { loadavg } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { runChecks } from '../../src/checks/run-checks.ts';
import type { LoadedConfig } from '../../src/config/load-config.ts';
import type { CheckSpec } from '../../src/config/schema-checks.ts';
import { backupDir, writeManifest } from '../../src/database/backup/backup-manifest.ts';
import { closedPort, createTestDatabase, loadTestConfig, makeTempDir, REDIS_URL, silentServer, type TestDatabase } from './fixtures.ts';

let db: TestDatabase;
let temp: { dir: string; remove(): Promise<void> };
let server: Server;
let baseUrl: string;
let silent: { port: number; close(): Promise<void> };
let refused: number;

/** Loads cutover.yml with these checks and runs them; returns results by name. */
async function run(checks: unknown[], env: Record<string, string> = {}) {
  const loaded = await loadTestConfig(temp.dir, { checks, env });
  const results = await runChecks(loaded, loaded.config.checks as CheckSpec[]);
  return { loaded, results, byName: Object.fromEntries(results.map((r) => [r.name, r])) };
}

describe('each pre-deploy check kind, passing and failing', () => {
  before(async () => {
    db = await createTestDatabase('cutover_checks');
    temp = await makeTempDir('cutover-checks');
    server = createServer((req, res) => {
      if (req.url === '/up') res.end('status: ok');
      else if (req.url === '/hang') return;
      else {
        res.statusCode = 500;
        res.end('boom');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    silent = await silentServer();
    refused = await closedPort();
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await silent?.close();
    await db?.drop();
    await temp?.remove();
  });

  test('disk: free bytes and percent on a path', async () => {
    const { byName } = await run([
      { kind: 'disk', name: 'ok', path: temp.dir, minFreeBytes: '1KB' },
      { kind: 'disk', name: 'bytes', path: temp.dir, minFreeBytes: '1000TB' },
      { kind: 'disk', name: 'percent', minFreePercent: 100 },
    ]);
    assert.equal(byName.ok.outcome, 'pass');
    assert.equal(byName.bytes.outcome, 'fail');
    assert.match(byName.bytes.message, /free on .* need 1000\.0 TB/);
    assert.deepEqual(byName.bytes.threshold, { minFreeBytes: 1e15, minFreePercent: null });
    assert.equal(byName.percent.outcome, 'fail', 'the data dir does not exist yet: its parent is measured');
    assert.ok((byName.ok.measured as { freeBytes: number }).freeBytes > 1000);
  });

  test('load and memory', async () => {
    const { byName } = await run([
      { kind: 'load', name: 'load-ok', maxLoadPerCore: 1000 },
      { kind: 'load', name: 'load-tight', maxLoadPerCore: 0.000001 },
      { kind: 'memory', name: 'mem-ok', minAvailableBytes: 1 },
      { kind: 'memory', name: 'mem-bad', minAvailableBytes: '1000TB' },
    ]);
    assert.equal(byName['load-ok'].outcome, 'pass');
    assert.equal(byName['load-tight'].outcome, loadavg()[0] > 0 ? 'fail' : 'pass');
    assert.equal(byName['mem-ok'].outcome, 'pass');
    assert.equal(byName['mem-bad'].outcome, 'fail');
    assert.match(byName['mem-bad'].message, /memory available, need 1000\.0 TB/);
  });

  test('postgres: select 1 passes; refused and silent ports fail fast with a clear message', async () => {
    const startedAt = Date.now();
    const { byName } = await run(
      [
        { kind: 'postgres', name: 'ok', urlEnv: 'APP_DB' },
        { kind: 'postgres', name: 'refused', url: `postgres://postgres@127.0.0.1:${refused}/x`, timeoutMs: 2000 },
        { kind: 'postgres', name: 'silent', url: `postgres://postgres:secret@127.0.0.1:${silent.port}/x`, timeoutMs: 500 },
        { kind: 'postgres', name: 'unset', urlEnv: 'NO_SUCH_URL_VAR_42' },
      ],
      { APP_DB: db.url },
    );
    assert.equal(byName.ok.outcome, 'pass', byName.ok.message);
    assert.equal(byName.refused.outcome, 'fail');
    assert.match(byName.refused.message, /ECONNREFUSED/);
    assert.equal(byName.silent.outcome, 'fail');
    assert.doesNotMatch(byName.silent.message, /secret/);
    assert.match(byName.unset.message, /NO_SUCH_URL_VAR_42 is not set/);
    assert.ok(Date.now() - startedAt < 15_000, 'no hang');
  });

  test('redis: PING passes; refused, silent and bad auth fail', async () => {
    const { byName } = await run([
      { kind: 'redis', name: 'ok', url: REDIS_URL },
      { kind: 'redis', name: 'host', host: '127.0.0.1', port: Number(new URL(REDIS_URL).port || 6379) },
      { kind: 'redis', name: 'refused', host: '127.0.0.1', port: refused },
      { kind: 'redis', name: 'silent', host: '127.0.0.1', port: silent.port, timeoutMs: 500 },
      { kind: 'redis', name: 'auth', url: `redis://:wrong-password@${new URL(REDIS_URL).host}` },
    ]);
    assert.equal(byName.ok.outcome, 'pass', byName.ok.message);
    assert.equal(byName.host.outcome, 'pass');
    assert.match(byName.refused.message, /connection refused/);
    assert.match(byName.silent.message, /no answer within 500ms/);
    assert.equal(byName.auth.outcome, 'fail');
    assert.match(byName.auth.message, /answered .*(AUTH|password)/i);
  });

  test('tcp and http', async () => {
    const port = Number(new URL(baseUrl).port);
    const { byName } = await run([
      { kind: 'tcp', name: 'tcp-ok', port },
      { kind: 'tcp', name: 'tcp-refused', port: refused },
      { kind: 'http', name: 'http-ok', url: `${baseUrl}/up`, bodyIncludes: 'ok' },
      { kind: 'http', name: 'http-500', url: `${baseUrl}/broken` },
      { kind: 'http', name: 'http-500-expected', url: `${baseUrl}/broken`, expectStatus: [500] },
      { kind: 'http', name: 'http-body', url: `${baseUrl}/up`, bodyIncludes: 'nope' },
      { kind: 'http', name: 'http-hang', url: `${baseUrl}/hang`, timeoutMs: 300 },
      { kind: 'http', name: 'http-refused', url: `http://127.0.0.1:${refused}/` },
    ]);
    assert.equal(byName['tcp-ok'].outcome, 'pass');
    assert.match(byName['tcp-refused'].message, /connection refused/);
    assert.equal(byName['http-ok'].outcome, 'pass');
    assert.deepEqual((byName['http-ok'].measured as { status: number }).status, 200);
    assert.match(byName['http-500'].message, /answered 500, expected 2xx: boom/);
    assert.equal(byName['http-500-expected'].outcome, 'pass');
    assert.match(byName['http-body'].message, /does not contain "nope"/);
    assert.match(byName['http-hang'].message, /no response within 300ms/);
    assert.match(byName['http-refused'].message, /connection refused/);
  });

  test('backup-age: none, fresh, too old, not verified', async () => {
    const none = await run([{ kind: 'backup-age', maxAgeMs: '1h' }]);
    assert.equal(none.results[0].outcome, 'fail');
    assert.match(none.results[0].message, /no backup of shop/);
    const dir = backupDir(none.loaded);
    const manifest = (id: string, hoursAgo: number, verified: boolean | null) =>
      writeManifest(dir, {
        formatVersion: 1,
        id,
        service: 'shop',
        created: new Date(Date.now() - hoursAgo * 3_600_000).toISOString(),
        file: `${id}.dump`,
        sha256: '',
        sizeBytes: 0,
        durationMs: 0,
        database: { name: 'x', host: 'h', port: 5432, user: 'u' },
        serverVersion: '15.0',
        pgDumpVersion: '15.0',
        migrationVersion: null,
        countMethod: '',
        tables: [],
        sequences: [],
        verified,
        verification: null,
      });
    await manifest('20260101T000000Z-aaaa', 3, true);
    await manifest('20260101T010000Z-bbbb', 0.1, null);
    const { byName } = await run([
      { kind: 'backup-age', name: 'fresh', maxAgeMs: '1h' },
      { kind: 'backup-age', name: 'verified', maxAgeMs: '1h', requireVerified: true },
      { kind: 'backup-age', name: 'verified-loose', maxAgeMs: '4h', requireVerified: true },
    ]);
    assert.equal(byName.fresh.outcome, 'pass');
    assert.equal((byName.fresh.measured as { backupId: string }).backupId, '20260101T010000Z-bbbb');
    assert.equal(byName.verified.outcome, 'fail');
    assert.match(byName.verified.message, /verified backup 20260101T000000Z-aaaa is 180 minutes old/);
    assert.equal(byName['verified-loose'].outcome, 'pass');
  });

  test('command: exit 0 passes, non-zero and timeouts fail with the reason', async () => {
    const startedAt = Date.now();
    const { byName } = await run(
      [
        { kind: 'command', name: 'ok', command: 'test "$GREETING" = hello' },
        { kind: 'command', name: 'bad', command: 'echo "migrations pending" >&2; exit 3' },
        { kind: 'command', name: 'slow', command: 'sleep 30', timeoutMs: 300 },
      ],
      { GREETING: 'hello' },
    );
    assert.equal(byName.ok.outcome, 'pass', byName.ok.message);
    assert.match(byName.bad.message, /exited 3: migrations pending/);
    assert.match(byName.slow.message, /timed out after 300ms/);
    assert.ok(Date.now() - startedAt < 10_000);
  });

  test('the checks of one run share one read of the release env and its secrets', async () => {
    const loaded = await loadTestConfig(temp.dir, {
      checks: [
        { kind: 'command', name: 'first', command: 'test "$TOKEN" = from-secrets' },
        { kind: 'command', name: 'second', command: 'test "$TOKEN" = from-secrets' },
      ],
    });
    let reads = 0;
    const results = await runChecks(loaded, loaded.config.checks as CheckSpec[], {
      commandEnv: async () => {
        reads++;
        return { TOKEN: 'from-secrets' };
      },
    });
    assert.deepEqual(
      results.map((r) => [r.name, r.outcome]),
      [
        ['first', 'pass'],
        ['second', 'pass'],
      ],
    );
    assert.equal(reads, 1, 'the secrets were read once for both checks');
  });

  test('derived names, skips with reasons, unknown skips refused', async () => {
    const loaded: LoadedConfig = await loadTestConfig(temp.dir, {
      checks: [
        { kind: 'tcp', port: refused },
        { kind: 'tcp', port: refused },
        { kind: 'memory', minAvailableBytes: 1 },
      ],
    });
    const specs = loaded.config.checks as CheckSpec[];
    const results = await runChecks(loaded, specs, {
      skip: [{ name: `tcp:127.0.0.1:${refused}`, reason: 'db host in maintenance, ticket OPS-12' }],
    });
    assert.deepEqual(
      results.map((r) => [r.name, r.outcome]),
      [
        [`tcp:127.0.0.1:${refused}`, 'skipped'],
        [`tcp:127.0.0.1:${refused}#2`, 'fail'],
        ['memory', 'pass'],
      ],
    );
    assert.equal(results[0].message, 'skipped: db host in maintenance, ticket OPS-12');
    await assert.rejects(
      runChecks(loaded, specs, { skip: [{ name: 'dsik', reason: 'typo' }] }),
      /CUT_ERR_CHECK_UNKNOWN_SKIP|no check named "dsik"/,
    );
  });
});
