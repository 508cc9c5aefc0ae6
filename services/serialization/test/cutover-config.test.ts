// The service's cutover.yml is accepted by cutover (schema, tasks, env file) and says what the
// guide asks: three supervised instances on port 8110, the env file, the daily 02:00 backup with
// 30 days kept, the audit retention task, seed and smoke hooks.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCutover } from '@cutover/service-kit/testing';
import { parse } from 'yaml';
import { SERVICE_DIR } from './support/paths.ts';

describe('cutover.yml', () => {
  let dir: string;
  // biome-ignore lint/suspicious/noExplicitAny: the parsed file, read key by key
  const config: any = parse(readFileSync(join(SERVICE_DIR, 'cutover.yml'), 'utf8'));
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ser-config-'));
    copyFileSync(join(SERVICE_DIR, 'cutover.yml'), join(dir, 'cutover.yml'));
    const env = readFileSync(join(SERVICE_DIR, '.env.production.example'), 'utf8').replace(
      /^JWT_SECRET=.*$/m,
      `JWT_SECRET=${'s'.repeat(40)}`,
    );
    writeFileSync(join(dir, '.env.production'), env, { mode: 0o600 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('cutover loads it with its env file', async () => {
    const result = await runCutover(['env', '--json', '--config', join(dir, 'cutover.yml')], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const variables = JSON.parse(result.stdout).variables as { name: string; source: string }[];
    const fromFile = new Set(variables.filter((v) => v.source === 'envFiles').map((v) => v.name));
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'SERIAL_BATCH_SIZE', 'AUDIT_RETENTION_DAYS'])
      assert.ok(fromFile.has(name), name);
    assert.doesNotMatch(result.stdout, /s{40}/, 'the secret value is not printed');
  });

  test("the guide's deployment: instances, port, backups, tasks, hooks", () => {
    assert.equal(config.processes.web.instances, 3);
    assert.equal(config.processes.web.portEnv, 'APP_PORT');
    assert.equal(config.agent.httpPort, 8110);
    assert.ok(config.agent.portRange[0] >= 24_000 && config.agent.portRange[1] <= 24_999);
    assert.deepEqual(config.envFiles, ['.env.production']);
    assert.deepEqual([config.backup.keepMaxAgeMs, config.backup.keepCount], ['720h', 30]);
    assert.deepEqual(
      {
        schedule: config.tasks['daily-backup'].schedule,
        kind: config.tasks['daily-backup'].kind,
        timeZone: config.tasks['daily-backup'].timeZone,
      },
      { schedule: '0 2 * * *', kind: 'backup', timeZone: 'UTC' },
    );
    assert.match(config.tasks['audit-retention'].command, /audit-retention\.ts$/);
    assert.match(config.hooks.preDeploy[0], /create-database\.ts$/);
    assert.match(config.hooks.preSwitch[0], /seed\.ts$/);
    assert.match(config.hooks.postSwitch[0], /smoke-test\.ts --base-url/);
  });
});
