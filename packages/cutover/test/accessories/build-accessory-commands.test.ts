import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildInitdbCommand,
  buildPgCtlStartCommand,
  buildPgCtlStopCommand,
  buildRedisConf,
  buildRunAs,
  PRIVATE_POSTGRES_CONF,
} from '../../src/accessories/build-accessory-commands.ts';

describe('accessory command builders', () => {
  test('initdb: password file, scram auth, UTF8, C locale', () => {
    assert.deepEqual(
      buildInitdbCommand({ initdb: '/usr/lib/postgresql/15/bin/initdb', pgdata: '/d/acc/db/pgdata', passwordFile: '/d/acc/db/.pw' }),
      {
        command: '/usr/lib/postgresql/15/bin/initdb',
        args: [
          '--pgdata=/d/acc/db/pgdata',
          '--username=postgres',
          '--pwfile=/d/acc/db/.pw',
          '--auth-host=scram-sha-256',
          '--auth-local=scram-sha-256',
          '--encoding=UTF8',
          '--locale=C',
          '--no-instructions',
        ],
      },
    );
    assert.deepEqual(PRIVATE_POSTGRES_CONF, ["listen_addresses = '127.0.0.1'", "unix_socket_directories = ''", 'max_connections = 50']);
  });

  test('pg_ctl start and stop', () => {
    assert.deepEqual(buildPgCtlStartCommand({ pgCtl: 'pg_ctl', pgdata: '/p', logFile: '/p.log', port: 25432, timeoutMs: 60_000 }), {
      command: 'pg_ctl',
      args: ['start', '--pgdata=/p', '--log=/p.log', '--options=-p 25432', '--wait', '--timeout=60'],
    });
    assert.deepEqual(buildPgCtlStopCommand('pg_ctl', '/p', 1500), {
      command: 'pg_ctl',
      args: ['stop', '--pgdata=/p', '--mode=fast', '--wait', '--timeout=2'],
    });
  });

  test('run as postgres only when root', () => {
    const spec = { command: '/bin/initdb', args: ['-D', '/x'] };
    assert.deepEqual(buildRunAs(spec, 0), { command: 'runuser', args: ['-u', 'postgres', '--', '/bin/initdb', '-D', '/x'] });
    assert.equal(buildRunAs(spec, 1000), spec);
  });

  test('redis.conf: loopback, password, daemonized, append-only', () => {
    assert.equal(
      buildRedisConf({ dir: '/d/acc/cache', port: 26379, password: 'abc123' }),
      [
        'port 26379',
        'bind 127.0.0.1',
        'protected-mode yes',
        'dir "/d/acc/cache"',
        'daemonize yes',
        'pidfile "/d/acc/cache/redis.pid"',
        'logfile "/d/acc/cache/redis.log"',
        'requirepass "abc123"',
        'appendonly yes',
        'save ""',
        '',
      ].join('\n'),
    );
  });
});
