// deploy --from <env>: what the source environment's records (and, for git, its export) must show.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkPromotion } from '../../src/cli/promotion-check.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { CutoverError } from '../../src/errors/cutover-error.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function project(release: string): {
  dir: string;
  record(kind: 'deploy' | 'rollback', from: string | null, to: string, state: string): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-promote-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'cutover.yml'), `service: shop\nrelease: ${release}\nprocesses:\n  web:\n    command: node server.js\n`);
  writeFileSync(join(dir, 'cutover.staging.yml'), 'agent: { httpPort: 8180 }\n');
  mkdirSync(join(dir, '.cutover-staging'));
  return {
    dir,
    record(kind, from, to, state) {
      const store = new DeploymentStore(join(dir, '.cutover-staging', 'cutover.db'));
      try {
        const id = store.createDeployment({ service: 'shop', kind, fromRelease: from, toRelease: to, actor: 't', host: 'h', pid: 1 });
        store.finishDeployment(id, state as 'succeeded', state === 'succeeded' ? null : 'health check failed');
      } finally {
        store.close();
      }
    },
  };
}

async function refusal(promise: Promise<unknown>): Promise<CutoverError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CutoverError, String(error));
    assert.equal(error.code, 'CUT_ERR_DEPLOY_NOT_PROMOTABLE');
    return error;
  }
  assert.fail('expected the promotion to be refused');
}

describe('deploy --from staging', () => {
  test('needs the last deployment of the release in staging to have succeeded, and no rollback from it since', async () => {
    const { dir, record } = project("{ source: directory, path: 'releases/{release}' }");
    const production = loadConfig(dir, undefined, undefined);
    assert.match((await refusal(checkPromotion(production, 'staging', 'v2'))).message, /has no records yet/);
    record('deploy', null, 'v1', 'succeeded');
    assert.match((await refusal(checkPromotion(production, 'staging', 'v2'))).message, /never deployed in staging/);
    record('deploy', 'v1', 'v2', 'rolled_back');
    assert.match(
      (await refusal(checkPromotion(production, 'staging', 'v2'))).message,
      /last deployment in staging \(#2\) is rolled_back: health/,
    );
    record('deploy', 'v1', 'v2', 'succeeded');
    assert.deepEqual(
      { ...(await checkPromotion(production, 'staging', 'v2')), endedAt: 0 },
      { environment: 'staging', deploymentId: 3, endedAt: 0 },
    );
    record('rollback', 'v2', 'v1', 'succeeded');
    assert.match((await refusal(checkPromotion(production, 'staging', 'v2'))).message, /rolled back from it to v1 \(#4\)/);
    const same = await checkPromotion(production, 'staging', 'v1').catch((error: Error) => error);
    assert.ok(!(same instanceof Error), 'v1 succeeded last (the rollback to it)');
    await assert.rejects(checkPromotion(loadConfig(dir, undefined, { name: 'staging', from: '--env' }), 'staging', 'v2'), {
      code: 'CUT_ERR_CLI_BAD_ARGUMENT',
    });
    await assert.rejects(checkPromotion(production, 'qa', 'v2'), { code: 'CUT_ERR_ENVIRONMENT_UNKNOWN' });
  });

  test('a git ref that names another commit than the one staging exported is refused', async () => {
    const { dir, record } = project('{ source: git }');
    const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'one');
    const tested = git('rev-parse', 'HEAD');
    mkdirSync(join(dir, '.cutover-staging', 'releases', 'shop'), { recursive: true });
    writeFileSync(
      join(dir, '.cutover-staging', 'releases', 'shop', '.main.release.json'),
      JSON.stringify({ source: 'git', commit: tested }),
    );
    record('deploy', null, 'main', 'succeeded');
    const production = loadConfig(dir, undefined, undefined);
    assert.equal((await checkPromotion(production, 'staging', 'main')).deploymentId, 1);
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'two');
    const error = await refusal(checkPromotion(production, 'staging', 'main'));
    assert.match(error.message, new RegExp(`but staging ran ${tested.slice(0, 12)}`));
    assert.equal(error.details.commitTested, tested);
  });
});
