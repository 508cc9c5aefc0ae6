// The serialization service deployed by cutover from its own cutover.yml (ports, database, Redis
// prefix and durations shortened): `cutover up` creates the schema (migrations with CONCURRENTLY
// indexes), seeds it and smoke-tests it; then `cutover deploy v2` replaces the three instances one
// at a time behind the proxy while clients generate serials, receive vendor serials and poll
// /health through it. Every request succeeds; the serials stay gapless; the audit chain holds.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { reservePortRange, TEST_POSTGRES_ADMIN_URL } from '@cutover/service-kit/testing';
import { SignJWT } from 'jose';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { collect, freePort, REPO_ROOT } from './support/sandbox.ts';

const SERVICE_DIR = join(REPO_ROOT, 'services/serialization');
const CLI = join(REPO_ROOT, 'packages/cutover/bin/cutover.js');
const SECRET = randomBytes(32).toString('hex');
/** The load goes on at least this long, and past the end of the deploy. */
const MIN_LOAD_MS = 8_000;

interface LoadTally {
  requests: number;
  failures: string[];
  generated: { sequence: number; serial: string }[];
  received: number;
}

/** Closed-loop clients through the proxy: each sends its next request when the last one answered. */
async function runClients(baseUrl: string, token: string, signal: AbortSignal): Promise<LoadTally> {
  const tally: LoadTally = { requests: 0, failures: [], generated: [], received: 0 };
  const api = `${baseUrl}/api/v1/serialization`;
  const send = async (method: string, url: string, body?: unknown) => {
    tally.requests++;
    try {
      const response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      if (response.status >= 300) tally.failures.push(`${method} ${url} → ${response.status} ${text.slice(0, 200)}`);
      return response.status < 300 && text ? JSON.parse(text) : null;
    } catch (error) {
      tally.failures.push(`${method} ${url} → ${(error as Error).message}`);
      return null;
    }
  };
  const client = async (kind: number) => {
    while (!signal.aborted) {
      if (kind === 0) {
        const answer = await send('POST', `${api}/patterns/unit-monthly/generate`, { partId: 'E2E', count: 5 });
        for (const serial of answer?.serials ?? []) tally.generated.push({ sequence: serial.sequenceValue, serial: serial.serialNumber });
      } else if (kind === 1) {
        const answer = await send('POST', `${api}/vendor/receive`, {
          vendorSerialNumber: `E${randomBytes(7).toString('hex').toUpperCase()}`,
          vendorName: 'E2E Vendor',
          partId: 'E2E-V',
          receivedDate: '2026-12-01',
        });
        if (answer) tally.received++;
      } else {
        await send('GET', `${baseUrl}/health`);
      }
    }
  };
  await Promise.all([0, 0, 1, 1, 2].map(client));
  return tally;
}

describe('serialization: rolling deploy of three instances under load', () => {
  let dir: string;
  let db: pg.Pool | undefined;
  const dbName = `ser_e2e_${randomBytes(4).toString('hex')}`;
  const dbUrl = Object.assign(new URL(TEST_POSTGRES_ADMIN_URL), { pathname: `/${dbName}` }).toString();
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  let httpPort: number;
  const prefix = `ser-e2e:${randomBytes(4).toString('hex')}:`;
  const cli = (args: string[], timeoutMs = 180_000) => {
    const child: ChildProcess = spawn(process.execPath, [CLI, ...args, '--config', join(dir, 'cutover.yml')], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATH: `${REPO_ROOT}node_modules/.bin:${process.env.PATH ?? ''}`, CI: '1' },
    });
    return collect(child, timeoutMs);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ser-e2e-'));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
    for (const version of ['v1', 'v2']) {
      execFileSync('sh', [join(SERVICE_DIR, 'scripts/package-release.sh'), version], {
        env: { ...process.env, RELEASES_ROOT: dir },
        stdio: 'pipe',
      });
    }
    // No database yet: the first deploy's preDeploy hook creates it, as the guide's first step does.
    httpPort = await freePort();
    const env = readFileSync(join(SERVICE_DIR, '.env.production.example'), 'utf8')
      .replace(/^DATABASE_URL=.*$/m, `DATABASE_URL=${dbUrl}`)
      .replace(/^JWT_SECRET=.*$/m, `JWT_SECRET=${SECRET}`)
      .replace(/^ADMIN_PASSWORD=.*$/m, 'ADMIN_PASSWORD=e2e-admin-password')
      .replace(/^DB_POOL_SIZE=.*$/m, 'DB_POOL_SIZE=5')
      .replace(/^LOG_LEVEL=.*$/m, 'LOG_LEVEL=warn')
      .concat(`REDIS_KEY_PREFIX=${prefix}\n`);
    writeFileSync(join(dir, '.env.production'), env);
    chmodSync(join(dir, '.env.production'), 0o600);
    // biome-ignore lint/suspicious/noExplicitAny: the parsed cutover.yml, edited key by key
    const config: any = parse(readFileSync(join(SERVICE_DIR, 'cutover.yml'), 'utf8'));
    config.agent.httpPort = httpPort;
    config.agent.portRange = await reservePortRange();
    config.rollout = { ...config.rollout, pauseMs: '500ms', bakeMs: '1s' };
    // The shared test machine is busy: a load-average gate would stop deploys for unrelated reasons.
    for (const check of config.checks) if (check.kind === 'load') check.maxLoadPerCore = 1000;
    config.validation.errorRate.windowMs = '3s';
    writeFileSync(join(dir, 'cutover.yml'), stringify(config));
    const up = await cli(['up', '--release', 'v1']);
    assert.equal(up.code, 0, `cutover up:\n${up.stdout}\n${up.stderr}`);
    db = new pg.Pool({ connectionString: dbUrl, max: 2 });
    db.on('error', () => undefined);
  });

  after(async () => {
    if (dir) await cli(['down', '--agent'], 90_000).catch(() => undefined);
    await db?.end().catch(() => undefined);
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('v1 → v2 one instance at a time: 0 failed requests, seed and smoke test ran, serials gapless', async (t) => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scope: 'serialization:read serialization:write' })
      .setProtectedHeader({ alg: 'HS256', kid: 'jwt-secret', typ: 'at+jwt' })
      .setIssuer('serialization')
      .setAudience('serialization-api')
      .setSubject('e2e-load')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(SECRET));
    const stop = new AbortController();
    const startedAt = Date.now();
    const load = runClients(`http://127.0.0.1:${httpPort}`, token, stop.signal);
    let deploy: Awaited<ReturnType<typeof cli>>;
    try {
      deploy = await cli(['deploy', 'v2', '--json']);
      await new Promise((resolve) => setTimeout(resolve, Math.max(1_000, MIN_LOAD_MS - (Date.now() - startedAt))));
    } finally {
      stop.abort();
    }
    const tally = await load;
    t.diagnostic(
      `deploy took ${Date.now() - startedAt} ms; ${tally.requests} requests, ${tally.generated.length} serials generated, ${tally.received} vendor serials received`,
    );
    const record = JSON.parse(deploy.stdout).deployment;
    assert.equal(
      record.state,
      'succeeded',
      `${record.reason}\n${JSON.stringify(record.steps.map((s: { name: string; outcome: string }) => `${s.name}: ${s.outcome}`))}\n${deploy.stderr.slice(-2000)}`,
    );
    const steps = Object.fromEntries(record.steps.map((s: { name: string; outcome: string }) => [s.name, s.outcome]));
    assert.equal(steps['preSwitch hooks'], 'ok', 'the seed ran');
    assert.equal(steps['postSwitch hooks'], 'ok', 'the smoke test passed through the proxy');
    assert.deepEqual(tally.failures.slice(0, 5), [], `${tally.failures.length} failed of ${tally.requests}`);
    assert.ok(
      tally.generated.length >= 50 && tally.received >= 10,
      `enough load: ${tally.generated.length} serials, ${tally.received} receipts`,
    );

    const status = JSON.parse((await cli(['status', '--json'])).stdout);
    assert.equal(status.serving, 'v2');
    assert.equal(status.instances.filter((i: { spec: { release: string } }) => i.spec.release === 'v2').length, 3);

    const { rows } = await (db as pg.Pool).query<{ sequence_value: string }>(
      "SELECT sequence_value FROM system_generated_serials WHERE part_id = 'E2E' ORDER BY sequence_value",
    );
    assert.deepEqual(
      rows.map((r) => Number(r.sequence_value)),
      Array.from({ length: rows.length }, (_, i) => i + 1),
      'the sequence of part E2E is 1..N across both releases',
    );
    assert.equal(rows.length, tally.generated.length, 'every committed serial was answered');
    const admin = await (db as pg.Pool).query("SELECT roles FROM service_accounts WHERE username = 'admin'");
    assert.deepEqual(admin.rows, [{ roles: ['admin'] }]);
    assert.deepEqual((await (db as pg.Pool).query('SELECT * FROM audit_verify_chain()')).rows, [], 'the audit hash chain is intact');
  });
});
