import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseByteSize } from '../../src/config/schema-checks.ts';
import { backupStep } from '../../src/database/backup/backup-step.ts';
import { isCutoverError } from '../../src/errors/cutover-error.ts';
import { loadTestConfig, makeTempDir } from './fixtures.ts';

describe('checks, validation, backup and accessories config', () => {
  let temp: { dir: string; remove(): Promise<void> };
  before(async () => {
    temp = await makeTempDir('cutover-check-config');
  });
  after(() => temp?.remove());

  const problems = async (extra: Record<string, unknown>): Promise<string[]> => {
    try {
      await loadTestConfig(temp.dir, extra);
      return [];
    } catch (error) {
      assert.ok(isCutoverError(error), String(error));
      return (error.details.problems as { path: string; message: string }[]).map((p) => `${p.path}: ${p.message}`);
    }
  };

  test('sizes', () => {
    assert.equal(parseByteSize('512MiB'), 512 * 1024 * 1024);
    assert.equal(parseByteSize('5GB'), 5e9);
    assert.equal(parseByteSize('1.5 kb'), 1500);
    assert.equal(parseByteSize(42), 42);
    assert.equal(parseByteSize('5 parsecs'), undefined);
  });

  test('defaults are filled in and every section is optional', async () => {
    const loaded = await loadTestConfig(temp.dir, { backup: {}, validation: { errorRate: {} } });
    assert.equal(loaded.config.checks, undefined);
    assert.equal(loaded.config.accessories, undefined);
    assert.deepEqual(
      { ...loaded.config.backup },
      {
        enabled: true,
        maintenanceDatabase: 'postgres',
        lockWaitTimeoutMs: 10_000,
        timeoutMs: 3_600_000,
        keepCount: 7,
        keepMaxAgeMs: 30 * 24 * 3_600_000,
        exactCountMaxBytes: 512 * 1024 * 1024,
        verifyAfterBackup: false,
        restoreJobs: 2,
      },
    );
    assert.deepEqual(
      { ...loaded.config.validation?.errorRate },
      { windowMs: 30_000, maxErrorRate: 0.01, minRequests: 20, onInconclusive: 'fail' },
    );
  });

  test('problems are reported with their paths', async () => {
    const found = await problems({
      checks: [{ kind: 'disk' }, { kind: 'memory', minAvailableBytes: 'lots' }, { kind: 'postgres' }, { kind: 'dns', host: 'x' }],
      backup: { keepCount: 0 },
      accessories: { db: { kind: 'mysql' } },
    });
    assert.deepEqual(found.sort(), [
      'accessories.db.kind: must be one of "postgres", "redis" (got "mysql")',
      'backup.keepCount: must be at least 1 (got 0)',
      'checks[0]: needs minFreeBytes or minFreePercent',
      'checks[1].minAvailableBytes: must be a size such as 500MB, 2GiB or a number of bytes (got "lots")',
      'checks[2]: needs url or urlEnv',
      'checks[3].kind: must be one of "disk", "load", "memory", "postgres", "redis", "tcp", "http", "backup-age", "command", "current-release-healthy", "deploy-lock-free" (got "dns")',
    ]);
  });

  test('duplicate check names are refused', async () => {
    const found = await problems({
      checks: [
        { kind: 'load', name: 'x', maxLoadPerCore: 1 },
        { kind: 'load', name: 'x', maxLoadPerCore: 2 },
      ],
    });
    assert.deepEqual(found, ['checks[1].name: duplicate check name "x"']);
  });

  test('backupStep is skipped without a backup section or when disabled', async () => {
    const ctx = (extra: Record<string, unknown>) =>
      loadTestConfig(temp.dir, extra).then((loaded) => ({
        loaded,
        deploymentId: 'd',
        release: 'r',
        previousRelease: null,
        log: () => {},
        signal: new AbortController().signal,
      }));
    assert.deepEqual(await backupStep(await ctx({})), { outcome: 'skipped', values: {}, reason: 'cutover.yml has no backup section' });
    assert.deepEqual(await backupStep(await ctx({ backup: { enabled: false } })), {
      outcome: 'skipped',
      values: {},
      reason: 'backup.enabled is false',
    });
  });
});
