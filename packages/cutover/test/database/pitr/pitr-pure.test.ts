import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BaseBackupManifest } from '../../../src/database/pitr/base-backup-manifest.ts';
import { chooseBaseBackup } from '../../../src/database/pitr/base-backup-manifest.ts';
import { planBaseBackupRetention } from '../../../src/database/pitr/plan-base-backup-retention.ts';
import { buildRecoverySettings, parseTargetTime, readRecoveryLog, toPgTimestamp } from '../../../src/database/pitr/recovery-settings.ts';
import { isWalSegment, segmentBefore, walFileName } from '../../../src/database/pitr/wal-file-name.ts';

const MiB16 = 16 * 1024 * 1024;

test('WAL file names from an LSN: timeline, log and segment, for 16 MiB and 64 MiB segments', () => {
  assert.equal(walFileName(1, '0/3000028', MiB16), '000000010000000000000003');
  assert.equal(walFileName(2, '1/FF000000', MiB16), '0000000200000001000000FF');
  assert.equal(walFileName(1, '0/C000000', 64 * 1024 * 1024), '000000010000000000000003');
  assert.equal(walFileName(0x1a, 'A/1000000', MiB16), '0000001A0000000A00000001');
});

test('WAL pruning keeps history and backup files and compares positions across timelines', () => {
  assert.equal(isWalSegment('000000010000000000000003'), true);
  assert.equal(isWalSegment('000000010000000000000003.partial'), true);
  assert.equal(isWalSegment('00000002.history'), false);
  assert.equal(isWalSegment('000000010000000000000003.00000028.backup'), false);
  assert.equal(segmentBefore('000000010000000000000002', '000000010000000000000003'), true);
  assert.equal(segmentBefore('000000020000000000000002', '000000010000000000000003'), true);
  assert.equal(segmentBefore('000000010000000000000003', '000000010000000000000003'), false);
  assert.equal(segmentBefore('000000010000000100000000', '0000000100000000000000FF'), false);
  assert.equal(segmentBefore('00000002.history', '000000010000000000000003'), false);
});

test('the target time must carry a zone; PostgreSQL gets it with a space and a numeric offset, microseconds kept', () => {
  assert.equal(parseTargetTime('2026-05-12 14:30'), undefined);
  assert.equal(parseTargetTime('yesterday'), undefined);
  assert.equal(parseTargetTime('2026-05-12T14:30:00Z')?.toISOString(), '2026-05-12T14:30:00.000Z');
  assert.equal(parseTargetTime('2026-05-12 16:30:00.123456+02:00')?.toISOString(), '2026-05-12T14:30:00.123Z');
  assert.equal(toPgTimestamp('2026-05-12T14:30:00.123456Z'), '2026-05-12 14:30:00.123456+00:00');
  assert.equal(toPgTimestamp('2026-05-12 16:30:00+02:00'), '2026-05-12 16:30:00+02:00');
});

test('recovery settings: socket only, no archiving, promote at the target, paths quoted for sh and for the config', () => {
  const text = buildRecoverySettings({ archiveDir: "/srv/it's wal", targetTime: '2026-05-12T14:30:00Z', port: 5499, socketDir: '/srv/r' });
  assert.equal(
    text,
    [
      '',
      '# written by "cutover db recover": archive recovery to a point in time',
      'port = 5499',
      "listen_addresses = ''",
      "unix_socket_directories = '/srv/r'",
      'archive_mode = off',
      'hot_standby = off',
      `restore_command = 'cp ''/srv/it''\\\\''''s wal/''"%f" "%p"'`,
      "recovery_target_time = '2026-05-12 14:30:00+00:00'",
      "recovery_target_action = 'promote'",
      "recovery_target_timeline = 'latest'",
      '',
    ].join('\n'),
  );
});

test('the recovery log tells where recovery stopped, or why it failed', () => {
  const ok = readRecoveryLog(
    [
      '2026-12-02 10:18:56 UTC [1] LOG:  starting point-in-time recovery to 2026-12-02 10:18:54.035668+00',
      '2026-12-02 10:18:57 UTC [1] LOG:  recovery stopping before commit of transaction 741, time 2026-12-02 10:18:54.1+00',
      '2026-12-02 10:18:57 UTC [1] LOG:  last completed transaction was at log time 2026-12-02 10:18:53.9+00',
      '2026-12-02 10:18:57 UTC [1] LOG:  archive recovery complete',
    ].join('\n'),
  );
  assert.equal(ok.stopLine, 'recovery stopping before commit of transaction 741, time 2026-12-02 10:18:54.1+00');
  assert.equal(ok.stoppedAt, '2026-12-02 10:18:54.1+00');
  assert.equal(ok.lastCompletedAt, '2026-12-02 10:18:53.9+00');
  assert.equal(ok.archiveRecoveryComplete, true);
  assert.equal(ok.fatal, null);
  const failed = readRecoveryLog(
    '2026-12-02 LOG:  x\n2026-12-02 UTC [2] FATAL:  recovery ended before configured recovery target was reached\n',
  );
  assert.equal(failed.fatal, 'recovery ended before configured recovery target was reached');
  assert.equal(failed.stopLine, null);
});

const manifest = (id: string, consistentAt: string) => ({ id, consistentAt }) as BaseBackupManifest;

test('the base backup for a time is the newest consistent before it; retention keeps the newest always', () => {
  const list = [
    manifest('c', '2026-05-03T02:00:00.000Z'),
    manifest('b', '2026-05-02T02:00:00.000Z'),
    manifest('a', '2026-04-01T02:00:00.000Z'),
  ];
  assert.equal(chooseBaseBackup(list, new Date('2026-05-02T12:00:00Z'))?.id, 'b');
  assert.equal(chooseBaseBackup(list, new Date('2026-05-03T02:00:00Z'))?.id, 'c');
  assert.equal(chooseBaseBackup(list, new Date('2026-03-01T00:00:00Z')), undefined);
  const plan = planBaseBackupRetention(list, { keepCount: 2, keepMaxAgeMs: 30 * 24 * 3_600_000, now: new Date('2026-05-03T03:00:00Z') });
  assert.deepEqual(
    plan.keep.map((m) => m.id),
    ['c', 'b'],
  );
  assert.deepEqual(plan.delete, [{ id: 'a', reason: 'beyond the newest 2' }]);
  const aged = planBaseBackupRetention(list, { keepCount: 7, keepMaxAgeMs: 3_600_000, now: new Date('2026-06-01T00:00:00Z') });
  assert.deepEqual(
    aged.keep.map((m) => m.id),
    ['c'],
  );
});
