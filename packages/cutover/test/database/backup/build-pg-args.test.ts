import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildRestoreCommand } from '../../../src/database/backup/backup-step.ts';
import { buildPgDumpArgs } from '../../../src/database/backup/build-pg-dump-args.ts';
import { buildPgRestoreArgs, buildPgRestoreListArgs } from '../../../src/database/backup/build-pg-restore-args.ts';
import { parsePgToolVersion } from '../../../src/database/backup/find-pg-tool.ts';
import { buildPgEnv, buildTlsOptions, describePgTarget, parsePgUrl } from '../../../src/database/backup/pg-target.ts';

const target = parsePgUrl('postgresql://app:s%3Acret@db.internal:6543/shop?sslmode=require');

describe('pg target parsing', () => {
  test('splits a URL and keeps the password out of the description', () => {
    assert.deepEqual(target, { host: 'db.internal', port: 6543, user: 'app', database: 'shop', password: 's:cret', sslmode: 'require' });
    assert.equal(describePgTarget(target), 'app@db.internal:6543/shop');
    assert.deepEqual(buildPgEnv(target), { PGPASSWORD: 's:cret', PGSSLMODE: 'require' });
  });

  test('defaults the port and reads a socket directory from ?host=', () => {
    assert.deepEqual(parsePgUrl('postgres://postgres@/orders?host=/var/run/postgresql'), {
      host: '/var/run/postgresql',
      port: 5432,
      user: 'postgres',
      database: 'orders',
    });
  });

  test('rejects other schemes without echoing the password', () => {
    assert.throws(
      () => parsePgUrl('mysql://u:hunter2@h/db'),
      (error: Error) => {
        assert.match(error.message, /not a PostgreSQL URL: mysql:\/\/u:\*\*\*@h\/db/);
        return true;
      },
    );
  });
});

describe('buildPgDumpArgs', () => {
  test('custom format, lock wait timeout, connection flags, no password', () => {
    assert.deepEqual(buildPgDumpArgs({ target, file: '/data/backups/shop/x.dump', lockWaitTimeoutMs: 10_000 }), [
      '--format=custom',
      '--file=/data/backups/shop/x.dump',
      '--lock-wait-timeout=10000',
      '--no-password',
      '--host=db.internal',
      '--port=6543',
      '--username=app',
      '--dbname=shop',
    ]);
  });

  test('adds the exported snapshot and the compression level when given', () => {
    assert.deepEqual(
      buildPgDumpArgs({ target, file: 'x.dump', lockWaitTimeoutMs: 2500.4, snapshot: '00000003-0000001B-1', compressLevel: 9 }),
      [
        '--format=custom',
        '--file=x.dump',
        '--lock-wait-timeout=2500',
        '--no-password',
        '--host=db.internal',
        '--port=6543',
        '--username=app',
        '--dbname=shop',
        '--snapshot=00000003-0000001B-1',
        '--compress=9',
      ],
    );
  });
});

describe('buildPgRestoreArgs', () => {
  test('exit on error into the given database, parallel when jobs > 1, file last', () => {
    assert.deepEqual(buildPgRestoreArgs({ target: { ...target, database: 'scratch' }, file: '/b/x.dump', jobs: 4 }), [
      '--exit-on-error',
      '--no-password',
      '--host=db.internal',
      '--port=6543',
      '--username=app',
      '--dbname=scratch',
      '--jobs=4',
      '/b/x.dump',
    ]);
  });

  test('no --jobs for a single job; --list reads the table of contents', () => {
    assert.deepEqual(buildPgRestoreArgs({ target, file: 'x.dump', jobs: 1 }), [
      '--exit-on-error',
      '--no-password',
      '--host=db.internal',
      '--port=6543',
      '--username=app',
      '--dbname=shop',
      'x.dump',
    ]);
    assert.deepEqual(buildPgRestoreListArgs('x.dump'), ['--list', 'x.dump']);
  });
});

describe('small builders', () => {
  test('tool versions', () => {
    assert.deepEqual(parsePgToolVersion('pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)'), { version: '15.20', major: 15 });
    assert.deepEqual(parsePgToolVersion('pg_restore (PostgreSQL) 17beta1'), { version: '17', major: 17 });
  });

  test('restore command quotes config paths that need it', () => {
    assert.equal(
      buildRestoreCommand('20260512T143012Z-3fa9', '/srv/shop/cutover.yml'),
      'cutover db restore 20260512T143012Z-3fa9 --config /srv/shop/cutover.yml',
    );
    assert.equal(
      buildRestoreCommand('20260512T143012Z-3fa9', "/srv/my shop/it's.yml"),
      `cutover db restore 20260512T143012Z-3fa9 --config '/srv/my shop/it'\\''s.yml'`,
    );
  });
});

describe('sslmode as libpq means it', () => {
  test('verify-ca checks the certificate chain against sslrootcert, not the host name; verify-full checks both; require only encrypts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-ca-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nexample\n-----END CERTIFICATE-----\n');
    const verifyCa = parsePgUrl(`postgres://app@db/shop?sslmode=verify-ca&sslrootcert=${ca}`);
    assert.deepEqual(buildPgEnv(verifyCa), { PGSSLMODE: 'verify-ca', PGSSLROOTCERT: ca });
    const tls = buildTlsOptions(verifyCa);
    assert.equal(tls?.rejectUnauthorized, true, 'verify-ca verifies the chain');
    assert.match(String(tls?.ca), /BEGIN CERTIFICATE/);
    assert.equal(tls?.checkServerIdentity?.('db', {} as never), undefined, 'but not the host name');
    const full = buildTlsOptions(parsePgUrl(`postgres://app@db/shop?sslmode=verify-full&sslrootcert=${ca}`));
    assert.equal(full?.rejectUnauthorized, true);
    assert.equal(full?.checkServerIdentity, undefined, 'verify-full keeps the host name check');
    assert.deepEqual(buildTlsOptions(parsePgUrl('postgres://app@db/shop?sslmode=require')), { rejectUnauthorized: false });
    assert.equal(buildTlsOptions(parsePgUrl('postgres://app@db/shop?sslmode=disable')), undefined);
    assert.throws(() => parsePgUrl('postgres://app:pw@db/shop?sslmode=verify-ca'), /verify-ca needs the CA.*app:\*\*\*@/);
    rmSync(dir, { recursive: true, force: true });
  });
});
