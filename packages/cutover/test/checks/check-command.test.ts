import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { parseSkips } from '../../src/cli/check.ts';
import { closedPort, makeTempDir } from './fixtures.ts';

const CLI = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));

describe('cutover check', () => {
  let temp: { dir: string; remove(): Promise<void> };
  before(async () => {
    temp = await makeTempDir('cutover-check-cli');
    const port = await closedPort();
    const config = {
      service: 'shop',
      processes: { web: { command: 'node server.js' } },
      checks: [
        { kind: 'memory', minAvailableBytes: 1 },
        { kind: 'tcp', name: 'queue', port, timeoutMs: 1000 },
        { kind: 'deploy-lock-free' },
      ],
    };
    await writeFile(join(temp.dir, 'cutover.yml'), stringify(config));
  });
  after(() => temp?.remove());

  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, 'check', ...args], { cwd: temp.dir, encoding: 'utf8', timeout: 60_000 });

  test('--json: every result, exit 1 when one fails; probe kinds are skipped by hand', () => {
    const run = cli('--json');
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(run.stdout) as { checks: { name: string; outcome: string }[]; failed: number };
    assert.deepEqual(
      report.checks.map((c) => [c.name, c.outcome]),
      [
        ['memory', 'pass'],
        ['queue', 'fail'],
        ['deploy-lock-free', 'skipped'],
      ],
    );
  });

  test('--skip name=reason makes it pass; the reason is kept', () => {
    const run = cli('--json', '--skip', 'queue=queue moves to a new host tonight');
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { checks: { name: string; message: string }[] };
    assert.equal(report.checks[1].message, 'skipped: queue moves to a new host tonight');
    assert.equal(cli('--skip', 'nope=typo').status, 2);
  });

  test('a skip needs a reason', () => {
    assert.deepEqual(parseSkips(['disk:/=cleanup = running']), [{ name: 'disk:/', reason: 'cleanup = running' }]);
    assert.throws(() => parseSkips(['queue']), /needs a name and a reason/);
    assert.throws(() => parseSkips(['queue=']), /needs a name and a reason/);
  });
});
