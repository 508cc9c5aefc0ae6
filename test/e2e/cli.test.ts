// The CLI as a user meets it: help, errors with codes and next steps, init, logs, history, the deploy lock.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { COMMANDS } from '../../packages/cutover/src/cli/commands.ts';
import { collect, Sandbox } from './support/sandbox.ts';

describe('cutover CLI', () => {
  const box = new Sandbox('cutover-cli-');

  before(async () => {
    box.release('v1', { bootDelayMs: 100 });
    box.release('v2', { bootDelayMs: 1500 });
    await box.writeConfig(
      (port) => `service: cli
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 1
    health: { type: http, path: /up, startTimeoutMs: 5s }
agent: { httpPort: ${port} }
`,
    );
  });

  after(() => box.cleanup());

  test('--help lists every command, and each command has its own help', async () => {
    const overview = await box.cli(['--help']);
    assert.equal(overview.code, 0);
    for (const command of COMMANDS) assert.match(overview.stdout, new RegExp(`\\b${command.name}\\b`));
    for (const command of COMMANDS) {
      const help = await box.cli([command.name, '--help']);
      assert.equal(help.code, 0, command.name);
      assert.match(help.stdout, /^Usage: cutover /, command.name);
      assert.match(help.stdout, /\nExit codes:\n {3}0 {2}done\n/, `${command.name} --help lists its exit codes`);
    }
  });

  test('an unknown command and a bad option name the problem and the next step', async () => {
    const unknown = await box.cli(['deplyo']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /CUT_ERR_CLI_UNKNOWN_COMMAND/);
    assert.match(unknown.stderr, /next: {2}run "cutover --help"/);
    const bad = await box.cli(['status', '--colour']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /CUT_ERR_CLI_BAD_ARGUMENT/);
  });

  test('without an agent, status says not running (exit 0) and commands that need one say how to start it', async () => {
    const status = await box.cli(['status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /service cli: not running/);
    const rollback = await box.cli(['rollback', 'v1', '--json']);
    assert.equal(rollback.code, 3);
    const error = JSON.parse(rollback.stdout).error;
    assert.equal(error.code, 'CUT_ERR_AGENT_NOT_RUNNING');
    assert.match(error.hint, /cutover up/);
    assert.doesNotMatch(error.hint, /repository/);
  });

  test('an invalid config starts nothing and lists every problem', async () => {
    const bad = join(box.dir, 'bad.yml');
    writeFileSync(bad, `service: cli\nagent: { dataDir: bad-data, httpPort: 99999 }\nprocesses:\n  web: { command: x, instances: -2 }\n`);
    const result = await collect(box.spawnCliWith(['up', '--config', bad]), 30_000);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /CUT_ERR_CONFIG_INVALID/);
    assert.match(result.stderr, /agent\.httpPort/);
    assert.match(result.stderr, /processes\.web\.instances/);
    assert.equal(existsSync(join(box.dir, 'bad-data')), false, 'no data directory was created');
  });

  test('a proxy port in use is named', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', resolve));
    const port = (blocker.address() as { port: number }).port;
    const config = join(box.dir, 'busy.yml');
    writeFileSync(
      config,
      readFileSync(box.config, 'utf8')
        .replace(/httpPort: \d+/, `httpPort: ${port}`)
        .replace('agent: {', 'agent: { dataDir: busy-data,'),
    );
    const result = await collect(box.spawnCliWith(['up', '--config', config]), 30_000);
    blocker.close();
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /CUT_ERR_AGENT_PORT_IN_USE/);
    assert.match(result.stderr, new RegExp(String(port)));
  });

  test('init writes a valid annotated config and refuses to overwrite it', async () => {
    const dir = join(box.dir, 'new-project');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@acme/Shop-API', scripts: { start: 'node index.js' } }));
    const init = await collect(box.spawnCliWith(['init'], dir), 30_000);
    assert.equal(init.code, 0, init.stderr);
    const text = readFileSync(join(dir, 'cutover.yml'), 'utf8');
    assert.match(text, /^service: shop-api$/m);
    assert.match(text, /command: npm start/);
    const again = await collect(box.spawnCliWith(['init'], dir), 30_000);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /CUT_ERR_CONFIG_EXISTS/);
    assert.match(readFileSync(join(dir, '.gitignore'), 'utf8'), /^\.cutover\/$/m);
    const named = await collect(box.spawnCliWith(['init', '--config', 'deploy/shop.yml'], dir), 30_000);
    assert.equal(named.code, 0, named.stderr);
    assert.match(readFileSync(join(dir, 'deploy', 'shop.yml'), 'utf8'), /cutover help config/);
    const help = await collect(box.spawnCliWith(['help', 'config'], dir), 30_000);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^processes: /m);
  });

  test('up, an unknown release lists the known ones, logs and history', async () => {
    assert.equal((await box.cli(['up', '--release', 'v1'])).code, 0);
    const unknown = await box.cli(['deploy', 'v9', '--json']);
    assert.equal(unknown.code, 5);
    const error = JSON.parse(unknown.stdout).error;
    assert.equal(error.code, 'CUT_ERR_DEPLOY_UNKNOWN_RELEASE');
    assert.match(error.message, /release "v9" not found/);
    assert.equal(error.hint, 'known releases: v1, v2');
    const logs = await box.cli(['logs', '--lines', '5']);
    assert.equal(logs.code, 0);
    assert.match(logs.stdout, /started v1\.web/);
    const history = JSON.parse((await box.cli(['history', '--json'])).stdout);
    assert.deepEqual(
      history.deployments.map((d: { toRelease: string; state: string }) => `${d.toRelease}:${d.state}`),
      ['v1:succeeded'],
      'an unknown release is refused before anything is recorded',
    );
    const one = await box.cli(['history', String(history.deployments[0].id)]);
    assert.match(one.stdout, /rollout/);
  });

  test('a second deploy while one runs is refused with the holder named', async () => {
    // The first deploy holds the lock in a preDeploy hook until the second one has been refused.
    const started = join(box.dir, 'hook-started');
    const proceed = join(box.dir, 'hook-proceed');
    const held = join(box.dir, 'held.yml');
    writeFileSync(
      held,
      `${readFileSync(box.config, 'utf8')}hooks:\n  preDeploy: ["touch ${started} && while [ ! -f ${proceed} ]; do sleep 0.05; done"]\n  timeoutMs: 120s\n`,
    );
    const first = box.spawnCliWith(['deploy', 'v2', '--config', held]);
    const firstDone = collect(first, 180_000);
    const deadline = Date.now() + 120_000;
    while (!existsSync(started) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(started), 'the first deploy reached its preDeploy hook');
    const second = await box.cli(['deploy', 'v2', '--json']);
    writeFileSync(proceed, '');
    const firstResult = await firstDone;
    assert.equal(firstResult.code, 0, firstResult.stderr);
    assert.equal(second.code, 4, second.stdout);
    const error = JSON.parse(second.stdout).error;
    assert.equal(error.code, 'CUT_ERR_DEPLOY_LOCKED');
    assert.match(error.message, /holds the deploy lock \(pid \d+/);
  });
});
