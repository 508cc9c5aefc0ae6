import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requireBackupConfig, resolveBackupTarget } from '../../../src/database/backup/resolve-backup-target.ts';
import { isCutoverError } from '../../../src/errors/cutover-error.ts';
import { loadTestConfig, makeTempDir } from '../../checks/fixtures.ts';

describe('which database a backup targets', () => {
  let temp: { dir: string; remove(): Promise<void> };
  const saved = { A_URL: process.env.A_URL, B_URL: process.env.B_URL, DATABASE_URL: process.env.DATABASE_URL };
  before(async () => {
    temp = await makeTempDir('cutover-backup-target');
    for (const name of Object.keys(saved)) delete process.env[name];
  });
  after(async () => {
    for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
    await temp?.remove();
  });

  const resolve = async (extra: Record<string, unknown>) => {
    const loaded = await loadTestConfig(temp.dir, extra);
    return resolveBackupTarget(loaded, requireBackupConfig(loaded)).database;
  };

  test('backup.databaseUrl wins, then backup.databaseUrlEnv', async () => {
    const env = { A_URL: 'postgres://u@h/from_a', B_URL: 'postgres://u@h/from_b' };
    assert.equal(await resolve({ env, backup: { databaseUrl: 'postgres://u@h/direct', databaseUrlEnv: 'A_URL' } }), 'direct');
    assert.equal(await resolve({ env, backup: { databaseUrlEnv: 'A_URL' }, migrations: { databaseUrlEnv: 'B_URL' } }), 'from_a');
  });

  test('without its own URL, backup follows the migrations database, then DATABASE_URL', async () => {
    const env = { B_URL: 'postgres://u@h/from_b', DATABASE_URL: 'postgres://u@h/default' };
    assert.equal(await resolve({ env, backup: {}, migrations: { databaseUrlEnv: 'B_URL' } }), 'from_b');
    assert.equal(await resolve({ env, backup: {} }), 'default');
  });

  test('the process environment overrides the service env, as for migrations', async () => {
    process.env.B_URL = 'postgres://u@h/from_process';
    try {
      assert.equal(await resolve({ env: { B_URL: 'postgres://u@h/from_b' }, backup: { databaseUrlEnv: 'B_URL' } }), 'from_process');
    } finally {
      delete process.env.B_URL;
    }
  });

  test('an empty env var is a clear error, and so is a missing backup section', async () => {
    await assert.rejects(resolve({ backup: { databaseUrlEnv: 'NOT_SET_ANYWHERE_123' } }), (error: unknown) => {
      assert.ok(isCutoverError(error));
      assert.equal(error.code, 'CUT_ERR_BACKUP_NO_DATABASE_URL');
      assert.match(error.message, /NOT_SET_ANYWHERE_123/);
      return true;
    });
    const loaded = await loadTestConfig(temp.dir, {});
    assert.throws(() => requireBackupConfig(loaded), /has no backup section/);
  });
});
