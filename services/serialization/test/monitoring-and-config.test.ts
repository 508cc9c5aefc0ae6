// The guide's alert rules read series the service really exposes, and its env file is validated
// at start: the example file parses, and bad values are all reported by name, never by value.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseEnv } from 'node:util';
import { parseEnvConfig } from '@cutover/service-kit';
import { parse } from 'yaml';
import { serializationEnvSchema } from '../src/config/serialization-config.ts';
import { type RunningService, serviceEnv, startService } from './support/in-process.ts';
import { SERVICE_DIR } from './support/paths.ts';
import { type RedisPrefix, redisPrefix } from './support/redis-prefix.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';

const example = () => parseEnv(readFileSync(join(SERVICE_DIR, '.env.production.example'), 'utf8')) as Record<string, string>;

describe('env file validation', () => {
  test('the example file is valid once its secret is replaced', () => {
    const refused = parseEnvConfig(serializationEnvSchema, example());
    assert.equal(refused.ok, false);
    assert.deepEqual(refused.ok ? [] : refused.issues.map((i) => i.variable), ['JWT_SECRET']);
    const accepted = parseEnvConfig(serializationEnvSchema, { ...example(), JWT_SECRET: 'x'.repeat(40) });
    assert.ok(accepted.ok, JSON.stringify(accepted.ok ? '' : accepted.issues));
    assert.equal(accepted.config.AUDIT_RETENTION_DAYS, 2555);
    assert.equal(accepted.config.SERIAL_BATCH_SIZE, 100);
    assert.equal(accepted.config.JWT_EXPIRATION, 86_400);
  });

  test('the service refuses to start, naming every bad variable and no value', () => {
    const env = {
      ...example(),
      JWT_SECRET: 'short-secret-value',
      DATABASE_URL: 'mysql://db/x',
      SERIAL_BATCH_SIZE: '0',
      AUDIT_RETENTION_DAYS: '365',
      JWT_EXPIRATION: 'forever',
      SERIAL_DEFAULT_SCOPE: 'planet',
      CORS_ORIGINS: 'not a url',
      PATH: process.env.PATH ?? '',
    };
    const run = spawnSync(process.execPath, [join(SERVICE_DIR, 'src/main.ts')], { env, encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 78, run.stderr);
    for (const name of [
      'JWT_SECRET',
      'DATABASE_URL',
      'SERIAL_BATCH_SIZE',
      'AUDIT_RETENTION_DAYS',
      'JWT_EXPIRATION',
      'SERIAL_DEFAULT_SCOPE',
      'CORS_ORIGINS',
    ]) {
      assert.match(run.stderr, new RegExp(`^  ${name}(\\.\\d+)?: `, 'm'), name);
    }
    assert.doesNotMatch(run.stderr, /short-secret-value/);
  });
});

describe('alert rules against /metrics', () => {
  let db: TestDatabase;
  let redis: RedisPrefix;
  let svc: RunningService;
  before(async () => {
    db = await createMigratedDatabase('metrics', 2);
    redis = redisPrefix('metrics');
    svc = await startService(serviceEnv(db.url), redis.prefix);
  });
  after(async () => {
    await svc?.stop();
    await db?.drop();
    await redis?.cleanup();
  });

  test('every series an alert reads (but up and node_exporter) is exposed', async () => {
    await fetch(`${svc.url}/health`);
    const exposed = await fetch(`${svc.url}/metrics`).then((r) => r.text());
    const rules = parse(readFileSync(join(SERVICE_DIR, 'monitoring/prometheus/serialization-alerts.yml'), 'utf8')).groups[0].rules;
    assert.equal(rules.length, 5);
    const names = new Set<string>();
    for (const rule of rules) for (const match of (rule.expr as string).matchAll(/\b([a-z_]+)\{/g)) names.add(match[1]);
    for (const name of names) {
      if (name === 'up' || name.startsWith('node_') || name === 'rate' || name === 'sum') continue;
      const series = name.replace(/_(bucket|count)$/, '');
      assert.match(exposed, new RegExp(`^# TYPE ${series} `, 'm'), `${name} is on /metrics`);
    }
  });
});
