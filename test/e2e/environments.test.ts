// End to end: one repository, two environments. cutover.yml is the service, cutover.staging.yml and
// cutover.production.yml are what differs in each; `--env` (or CUTOVER_ENV) picks one. Each
// environment gets its own agent (its own ports, data directory, records and deploy lock), and a
// release reaches production only by `deploy --env production --from staging` after it succeeded in
// staging.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { reservePortRange } from '@cutover/service-kit/testing';
import { CLI, collect, freePort, Sandbox } from './support/sandbox.ts';

interface Deployment {
  id: number;
  toRelease: string;
  state: string;
  facts: Record<string, unknown>;
}

describe('environments: staging and production of one service, from one repository', () => {
  const box = new Sandbox('cutover-envs-');
  let stagingPort = 0;
  let productionPort = 0;

  const cli = (args: string[], env: Record<string, string> = {}, timeoutMs = 120_000) => {
    const child = spawn(process.execPath, [CLI, ...args, '--config', box.config], {
      cwd: box.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: '1', CUTOVER_ENV: '', ...env },
    });
    return collect(child, timeoutMs);
  };
  const json = async (args: string[], env: Record<string, string> = {}) => {
    const result = await cli([...args, '--json'], env);
    try {
      return JSON.parse(result.stdout);
    } catch {
      assert.fail(`cutover ${args.join(' ')} printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    }
  };
  const history = async (environment: string): Promise<Deployment[]> => (await json(['history', '--env', environment])).deployments;
  const versionAt = async (port: number) => ((await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { version: string }).version;

  before(async () => {
    box.release('v1', {});
    box.release('v2', {});
    // Exits at once: a deployment of it fails quickly.
    mkdirSync(join(box.dir, 'releases', 'v3-broken'), { recursive: true });
    writeFileSync(join(box.dir, 'releases', 'v3-broken', 'server.js'), 'console.error("broken release"); process.exit(1);\n');
    // Not ready for two minutes: a deployment of it holds staging's lock until aborted.
    box.release('v4-slow', { bootDelayMs: 120_000 });
    stagingPort = await freePort();
    const [productionRange, stagingRange] = [await reservePortRange(), await reservePortRange()];
    await box.writeConfig(
      (port) => `service: shop
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 5s, intervalMs: 500ms }
    stopTimeoutMs: 5s
env: { LOG_LEVEL: info }
proxy: { drainTimeoutMs: 2s }
rollout: { strategy: rolling, healthTimeoutMs: 4s }
hooks: { postDeploy: ['echo "$CUTOVER_ENV $CUTOVER_RELEASE" >> hook-environments.txt'] }
agent: { httpPort: ${port}, portRange: [${productionRange.join(', ')}] }
`,
    );
    productionPort = box.httpPort;
    writeFileSync(
      join(box.dir, 'cutover.staging.yml'),
      `# staging: one instance, its own port and port range, long health timeouts (a slow release keeps its lock)
processes:
  web:
    instances: 1
    health: { startTimeoutMs: 300s }
env: { LOG_LEVEL: debug }
rollout: { healthTimeoutMs: 300s }
agent: { httpPort: ${stagingPort}, portRange: [${stagingRange.join(', ')}] }
`,
    );
    writeFileSync(join(box.dir, 'cutover.production.yml'), '# production is cutover.yml as it is\n{}\n');
    const staging = await cli(['up', '--release', 'v1', '--env', 'staging']);
    assert.equal(staging.code, 0, `up staging:\n${staging.stdout}\n${staging.stderr}`);
    const production = await cli(['up', '--release', 'v1'], { CUTOVER_ENV: 'production' });
    assert.equal(production.code, 0, `up production:\n${production.stdout}\n${production.stderr}`);
  });

  after(async () => {
    for (const environment of ['staging', 'production'])
      await cli(['down', '--agent', '--env', environment], {}, 60_000).catch(() => undefined);
    await box.cleanup();
  });

  test('each environment runs its own agent on its own port and data directory, from the merged config', async () => {
    assert.equal(await versionAt(stagingPort), 'v1');
    assert.equal(await versionAt(productionPort), 'v1');
    assert.ok(existsSync(join(box.dir, '.cutover-staging', 'cutover.db')));
    assert.ok(existsSync(join(box.dir, '.cutover-production', 'cutover.db')));
    assert.equal(existsSync(join(box.dir, '.cutover')), false, 'no environment used the base data directory');
    const staging = await json(['status', '--env', 'staging']);
    const production = await json(['status'], { CUTOVER_ENV: 'production' });
    assert.equal(staging.environment, 'staging');
    assert.equal(staging.instances.length, 1, 'staging: the overlay says one instance');
    assert.equal(production.instances.length, 2, 'production: the base says two');
    const env = await cli(['env', 'LOG_LEVEL', '--env', 'staging']);
    assert.match(env.stdout, /debug/, `${env.stdout}\n${env.stderr}`);
    // `cutover up` ran in its own process: the config snapshot it recorded for the controller (whose
    // task schedulers read it) carries staging's overlay, not the base file alone.
    const db = new DatabaseSync(join(box.dir, '.cutover-staging', 'cutover.db'), { readOnly: true });
    try {
      const row = db.prepare('SELECT submission_json FROM deployments ORDER BY id LIMIT 1').get() as { submission_json: string | null };
      const submission = JSON.parse(row.submission_json ?? '{}') as { inProcess?: boolean; environment?: { name: string; text: string } };
      assert.equal(submission.inProcess, true);
      assert.equal(submission.environment?.name, 'staging');
      assert.match(submission.environment?.text ?? '', /LOG_LEVEL: debug/);
    } finally {
      db.close();
    }
  });

  test('a release that never ran in staging is refused for production; nothing is recorded there', async () => {
    const before = (await history('production')).length;
    const refused = await cli(['deploy', 'v2', '--env', 'production', '--from', 'staging', '--json']);
    assert.equal(refused.code, 1, `${refused.stdout}\n${refused.stderr}`);
    const error = JSON.parse(refused.stdout).error;
    assert.equal(error.code, 'CUT_ERR_DEPLOY_NOT_PROMOTABLE');
    assert.match(error.message, /never deployed in staging/);
    assert.match(error.hint, /cutover deploy v2 --env staging/);
    assert.equal((await history('production')).length, before);
    assert.equal(await versionAt(productionPort), 'v1');
  });

  test('a release that failed in staging is refused for production', async () => {
    const failed = await cli(['deploy', 'v3-broken', '--env', 'staging']);
    assert.equal(failed.code, 1, `${failed.stdout}\n${failed.stderr}`);
    const refused = await cli(['deploy', 'v3-broken', '--env', 'production', '--from', 'staging', '--json']);
    assert.equal(refused.code, 1);
    assert.match(JSON.parse(refused.stdout).error.message, /last deployment in staging \(#\d+\) is (failed|rolled_back)/);
    assert.equal(await versionAt(productionPort), 'v1');
    assert.ok(!(await history('production')).some((d) => d.toRelease === 'v3-broken'), "staging's deployments never show in production");
  });

  test("a release that succeeded in staging is promoted, while staging's own deploy lock is held", async () => {
    const deployed = await cli(['deploy', 'v2', '--env', 'staging']);
    assert.equal(deployed.code, 0, `${deployed.stdout}\n${deployed.stderr}`);
    assert.equal(await versionAt(stagingPort), 'v2');
    // Staging is busy with a release that is not ready for two minutes.
    const busy = await cli(['deploy', 'v4-slow', '--env', 'staging', '--detach']);
    assert.equal(busy.code, 0, `${busy.stdout}\n${busy.stderr}`);
    const stagingLock = (await json(['status', '--env', 'staging'])).lock;
    assert.ok(stagingLock, 'staging holds its deploy lock');
    const promoted = await cli(['deploy', 'v2', '--env', 'production', '--from', 'staging', '--json']);
    assert.equal(promoted.code, 0, `${promoted.stdout}\n${promoted.stderr}`);
    const record = JSON.parse(promoted.stdout).deployment as Deployment;
    assert.equal(record.state, 'succeeded');
    assert.equal((record.facts.promotedFrom as { environment: string }).environment, 'staging');
    assert.equal(record.facts.environment, 'production');
    assert.equal(await versionAt(productionPort), 'v2');
    const stagingRuns = await history('staging');
    assert.ok(
      stagingRuns.some((d) => d.toRelease === 'v4-slow' && d.state === 'running'),
      `staging's deployment was still running during the promotion: ${JSON.stringify(stagingRuns.map((d) => [d.toRelease, d.state]))}`,
    );
    const aborted = await cli(['abort', '--env', 'staging']);
    assert.equal(aborted.code, 0, `${aborted.stdout}\n${aborted.stderr}`);
    const watched = await cli(['watch', '--env', 'staging'], {}, 120_000);
    assert.notEqual(watched.code, 0, `the aborted deployment did not succeed:\n${watched.stdout}\n${watched.stderr}`);
    assert.equal(await versionAt(stagingPort), 'v2');
    // Hooks ran in the environment of their deployment (a cutover command there would act on it).
    const hookLines = readFileSync(join(box.dir, 'hook-environments.txt'), 'utf8').trim().split('\n');
    assert.ok(hookLines.includes('staging v2') && hookLines.includes('production v2'), hookLines.join('\n'));
    const productionRuns = await history('production');
    assert.deepEqual(productionRuns.map((d) => d.toRelease).sort(), ['v1', 'v2'], 'production records only its own deployments');
  });

  test('an invalid value in an overlay is reported in the overlay, with its line', async () => {
    writeFileSync(join(box.dir, 'cutover.qa.yml'), '# qa\nprocesses:\n  web:\n    instances: none\n');
    const result = await cli(['status', '--env', 'qa', '--json']);
    assert.equal(result.code, 2);
    const error = JSON.parse(result.stdout).error;
    assert.equal(error.code, 'CUT_ERR_CONFIG_INVALID');
    assert.equal(error.where, `${join(box.dir, 'cutover.qa.yml')}:4`);
    assert.match(error.message, /processes\.web\.instances: .*\(cutover\.qa\.yml:4\)/);
    const unknown = await cli(['status', '--env', 'prod', '--json']);
    assert.equal(JSON.parse(unknown.stdout).error.code, 'CUT_ERR_ENVIRONMENT_UNKNOWN');
    assert.match(JSON.parse(unknown.stdout).error.hint, /production, qa, staging/);
  });
});
