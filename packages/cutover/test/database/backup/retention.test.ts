import assert from 'node:assert/strict';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LoadedConfig } from '../../../src/config/load-config.ts';
import { applyRetention } from '../../../src/database/backup/apply-retention.ts';
import { backupDir, listManifests, readManifest, writeManifest } from '../../../src/database/backup/backup-manifest.ts';
import { createBackup } from '../../../src/database/backup/create-backup.ts';
import { planRetention } from '../../../src/database/backup/plan-retention.ts';
import { createTestDatabase, loadTestConfig, makeTempDir, type TestDatabase, withClient } from '../../checks/fixtures.ts';

const HOUR = 3_600_000;
const now = new Date('2026-05-12T12:00:00Z');
const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * HOUR).toISOString();

describe('planRetention', () => {
  const manifests = [
    { id: 'a', created: at(1), verified: null },
    { id: 'b', created: at(2), verified: false },
    { id: 'c', created: at(30), verified: true },
    { id: 'd', created: at(40), verified: null },
    { id: 'e', created: at(50), verified: true },
  ];

  test('by count: keeps the newest keepCount, never the newest verified', () => {
    assert.deepEqual(planRetention(manifests, { keepCount: 2, keepMaxAgeMs: 1000 * HOUR, now }), {
      keep: ['a', 'b', 'c'],
      delete: [
        { id: 'd', reason: 'beyond keepCount 2' },
        { id: 'e', reason: 'beyond keepCount 2' },
      ],
    });
  });

  test('by age: drops old ones but keeps the newest backup and the newest verified one', () => {
    assert.deepEqual(planRetention(manifests, { keepCount: 10, keepMaxAgeMs: 0.5 * HOUR, now }), {
      keep: ['a', 'c'],
      delete: [
        { id: 'b', reason: `older than keepMaxAgeMs ${0.5 * HOUR}` },
        { id: 'd', reason: `older than keepMaxAgeMs ${0.5 * HOUR}` },
        { id: 'e', reason: `older than keepMaxAgeMs ${0.5 * HOUR}` },
      ],
    });
  });

  test('protected ids survive; order of input does not matter', () => {
    const plan = planRetention([...manifests].reverse(), { keepCount: 1, keepMaxAgeMs: 1000 * HOUR, now, protect: ['d'] });
    assert.deepEqual(plan.keep, ['a', 'c', 'd']);
    assert.deepEqual(
      plan.delete.map((d) => d.id),
      ['b', 'e'],
    );
  });
});

describe('retention on disk after real backups', () => {
  let db: TestDatabase;
  let temp: { dir: string; remove(): Promise<void> };
  let loaded: LoadedConfig;

  before(async () => {
    db = await createTestDatabase('cutover_backup_ret');
    temp = await makeTempDir('cutover-retention');
    await withClient(db.url, (c) => c.query('create table t (id int); insert into t select generate_series(1, 10)'));
    loaded = await loadTestConfig(temp.dir, { backup: { databaseUrl: db.url, keepCount: 2, keepMaxAgeMs: '720h' } });
  });
  after(async () => {
    await db?.drop();
    await temp?.remove();
  });

  test('by count: the third backup deletes the oldest dump and manifest', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { manifest, retention } = await createBackup({ loaded, now: () => new Date(Date.now() + i * 1000) });
      ids.push(manifest.id);
      if (i === 2) assert.deepEqual(retention.delete, [{ id: ids[0], reason: 'beyond keepCount 2' }]);
    }
    const files = (await readdir(backupDir(loaded))).sort();
    assert.deepEqual(files, [`${ids[1]}.dump`, `${ids[1]}.json`, `${ids[2]}.dump`, `${ids[2]}.json`].sort());
  });

  test('by age: old backups go, the newest verified one stays even when old', async () => {
    const dir = backupDir(loaded);
    const [newest, older] = await listManifests(dir);
    await writeManifest(dir, { ...older, created: at(2000), verified: true });
    await writeManifest(dir, { ...newest, created: at(1900) });
    const third = await createBackup({ loaded, now: () => now });
    assert.deepEqual(third.retention.delete, [{ id: newest.id, reason: `older than keepMaxAgeMs ${720 * HOUR}` }]);
    assert.deepEqual(third.retention.keep, [third.manifest.id, older.id]);
    assert.equal((await readManifest(dir, older.id)).verified, true);

    const aged = await applyRetention(dir, { keepCount: 5, keepMaxAgeMs: HOUR, now: new Date(now.getTime() + 10 * HOUR) });
    assert.deepEqual(aged.delete, [], 'the newest and the newest verified are both protected');
  });

  test('stale partial dumps of crashed runs are removed, fresh ones kept', async () => {
    const dir = backupDir(loaded);
    const stale = join(dir, '20200101T000000Z-dead.dump.partial');
    const fresh = join(dir, '20260512T115959Z-beef.dump.partial');
    await writeFile(stale, 'x');
    await writeFile(fresh, 'x');
    const old = new Date(now.getTime() - 48 * HOUR);
    await utimes(stale, old, old);
    await utimes(fresh, now, now);
    const result = await applyRetention(dir, { keepCount: 5, keepMaxAgeMs: 1000 * HOUR, now });
    assert.deepEqual(result.removedPartials, ['20200101T000000Z-dead.dump.partial']);
    assert.ok((await readdir(dir)).includes('20260512T115959Z-beef.dump.partial'));
  });
});
