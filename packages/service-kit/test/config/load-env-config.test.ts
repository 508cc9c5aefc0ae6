import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { envBool, envInt, envUrl, loadEnvConfig, parseEnvConfig, SERVICE_ENV_SHAPE, ServiceKitError } from '../../src/index.ts';
import { within } from '../helpers/wait-for.ts';

const schema = z.object({
  ...SERVICE_ENV_SHAPE,
  DATABASE_URL: envUrl(['postgres:']),
  API_SECRET: z.string().min(16),
  WORKERS: envInt({ min: 1, max: 64 }),
  SHADOW: envBool(),
});

describe('parseEnvConfig', () => {
  test('valid env: typed, defaulted and frozen', () => {
    const result = parseEnvConfig(schema, { DATABASE_URL: 'postgres://db/x', API_SECRET: 'x'.repeat(16), WORKERS: '4', SHADOW: 'Yes' });
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.deepEqual(result.config, {
      PORT: 3000,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_PERIOD_MS: 10_000,
      SHUTDOWN_DELAY_MS: 3_000,
      DATABASE_URL: 'postgres://db/x',
      API_SECRET: 'x'.repeat(16),
      WORKERS: 4,
      SHADOW: true,
    });
    assert.equal(Object.isFrozen(result.config), true);
  });

  test('reports every bad variable at once, never echoing values', () => {
    const env = {
      PORT: '80a',
      LOG_LEVEL: 'chatty',
      DATABASE_URL: 'mysql://db',
      API_SECRET: 'short-secret',
      WORKERS: '',
      SHADOW: 'perhaps',
    };
    const result = parseEnvConfig(schema, env);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.issues.map((issue) => issue.variable),
      ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'API_SECRET', 'WORKERS', 'SHADOW'],
    );
    assert.equal(result.issues[0].message, 'must be an integer');
    const text = JSON.stringify(result.issues);
    assert.ok(!text.includes('short-secret'), 'a value leaked into the message');
  });

  test('missing variables are named as not set', () => {
    const result = parseEnvConfig(schema, {});
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.issues, [
      { variable: 'DATABASE_URL', message: 'is required but not set' },
      { variable: 'API_SECRET', message: 'is required but not set' },
      { variable: 'WORKERS', message: 'is required but not set' },
      { variable: 'SHADOW', message: 'is required but not set' },
    ]);
  });

  test('loadEnvConfig throws SVC_ERR_CONFIG_INVALID with a line per variable', () => {
    assert.throws(
      () => loadEnvConfig('payments', schema, { WORKERS: '0' }),
      (error: unknown) => {
        assert.ok(error instanceof ServiceKitError);
        assert.equal(error.code, 'SVC_ERR_CONFIG_INVALID');
        assert.equal(error.exitCode, 78);
        assert.equal(
          error.message,
          [
            'payments: invalid environment configuration (4 problems):',
            '  DATABASE_URL: is required but not set',
            '  API_SECRET: is required but not set',
            '  WORKERS: must be >= 1',
            '  SHADOW: is required but not set',
          ].join('\n'),
        );
        return true;
      },
    );
  });
});

describe('a service process with bad env', () => {
  const fixture = fileURLToPath(new URL('../fixtures/config-service.ts', import.meta.url));

  const run = async (env: Record<string, string>) => {
    const child = spawn(process.execPath, [fixture], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdout.resume();
    const exit = await within(
      once(child, 'exit').then(([code]) => code as number | null),
      20_000,
    );
    if (exit === 'timeout') child.kill('SIGKILL');
    return { exit, stderr };
  };

  test('exits 78 without listening and names each bad variable', async () => {
    const { exit, stderr } = await run({ PORT: 'eighty', DATABASE_URL: 'nope', MAX_BATCH: '5000', FEATURE_SHADOW: 'maybe' });
    assert.equal(exit, 78, stderr);
    assert.ok(!stderr.includes('STARTED'), 'the server must not start');
    for (const variable of ['PORT', 'DATABASE_URL', 'REDIS_URL', 'JWT_AUDIENCE', 'MAX_BATCH', 'FEATURE_SHADOW']) {
      assert.match(stderr, new RegExp(`^  ${variable}: `, 'm'), `${variable} missing from:\n${stderr}`);
    }
    assert.match(stderr, /config-fixture: invalid environment configuration \(6 problems\)/);
  });

  test('starts with a valid env', async () => {
    const { exit, stderr } = await run({
      PORT: '0',
      DATABASE_URL: 'postgres://x/y',
      REDIS_URL: 'redis://127.0.0.1:6379',
      JWT_AUDIENCE: 'payments',
      MAX_BATCH: '10',
    });
    assert.equal(exit, 0, stderr);
    assert.match(stderr, /STARTED \d+/);
  });
});
