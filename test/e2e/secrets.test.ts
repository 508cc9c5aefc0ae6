// Secrets stay secret: a deploy with a secret from a file and one from a command, then every byte
// cutover keeps (databases and WAL files included), every CLI output and every log is searched.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliResult, Sandbox } from './support/sandbox.ts';

const FILE_SECRET = `file-secret-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 16)}`;
const COMMAND_SECRET = `command-secret-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 16)}`;
const PLAIN_VALUE = `plain-value-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 16)}`;

/** A release whose app answers /secrets with a digest of what it was given, never the values. */
function writeRelease(box: Sandbox, name: string): void {
  const dir = join(box.dir, 'releases', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'server.js'),
    `import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
const digest = (v) => createHash('sha256').update(v ?? '').digest('hex');
createServer((req, res) => {
  if (req.url === '/up') return res.end('ok');
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ release: ${JSON.stringify(name)}, apiKey: digest(process.env.API_KEY),
    dbPassword: digest(process.env.DB_PASSWORD), plain: digest(process.env.PLAIN_SETTING) }));
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`,
  );
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? [path, ...filesUnder(path)] : [path];
  });
}

const digest = (value: string) => createHash('sha256').update(value).digest('hex');

describe('secrets', () => {
  const box = new Sandbox('cutover-secrets-');
  const outputs: { what: string; result: CliResult }[] = [];
  const dataDir = () => join(box.dir, '.cutover');

  async function run(args: string[]): Promise<CliResult> {
    const result = await box.cli(args);
    outputs.push({ what: args.join(' '), result });
    return result;
  }

  before(async () => {
    writeRelease(box, 'v1');
    writeRelease(box, 'v2');
    mkdirSync(join(box.dir, 'secrets'));
    writeFileSync(join(box.dir, 'secrets', 'api-key'), `${FILE_SECRET}\n`, { mode: 0o600 });
    writeFileSync(join(box.dir, 'secrets', 'db-password'), COMMAND_SECRET, { mode: 0o600 });
    await box.writeConfig(
      (port) => `service: secretive
release: { source: directory, path: 'releases/{release}' }
env: { PLAIN_SETTING: ${PLAIN_VALUE} }
secrets:
  API_KEY: { file: secrets/api-key }
processes:
  web:
    command: node server.js
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 10s }
    secrets:
      DB_PASSWORD: { command: "cat secrets/db-password" }
agent: { httpPort: ${port} }
`,
    );
  });

  after(() => box.cleanup());

  test('the app gets its secrets; nothing cutover prints, records or logs holds one', async () => {
    const up = await run(['up', '--release', 'v1']);
    assert.equal(up.code, 0, up.stderr);
    const deploy = await run(['deploy', 'v2', '--json']);
    assert.equal(deploy.code, 0, deploy.stderr);

    const answer = (await (await fetch(box.url)).json()) as Record<string, string>;
    assert.equal(answer.release, 'v2');
    assert.equal(answer.apiKey, digest(FILE_SECRET), 'a file secret is read without its trailing newline');
    assert.equal(answer.dbPassword, digest(COMMAND_SECRET));
    assert.equal(answer.plain, digest(PLAIN_VALUE));

    const status = await run(['status']);
    assert.equal(status.code, 0, status.stderr);
    const statusJson = await run(['status', '--json']);
    assert.equal(statusJson.code, 0, statusJson.stderr);
    const instances = JSON.parse(statusJson.stdout).instances as { spec: { env: Record<string, string> } }[];
    assert.ok(instances.length > 0);
    for (const instance of instances) {
      assert.ok('PLAIN_SETTING' in instance.spec.env, 'env keys are shown');
      assert.notEqual(instance.spec.env.PLAIN_SETTING, PLAIN_VALUE, 'env values are not');
    }
    const history = await run(['history', '--json']);
    const id = String(JSON.parse(history.stdout).deployments[0].id);
    await run(['history']);
    await run(['history', id]);
    await run(['history', id, '--json']);
    await run(['logs', '--lines', '50']);
    const listing = await run(['env', '--json']);
    assert.equal(listing.code, 0, listing.stderr);
    assert.deepEqual(
      (JSON.parse(listing.stdout).variables as { name: string; source: string }[])
        .filter((v) => v.source !== 'inherited')
        .map((v) => `${v.name}: ${v.source}`),
      ['PLAIN_SETTING: env', 'API_KEY: secret file secrets/api-key', 'DB_PASSWORD: secret command "cat secrets/db-password"'],
    );
    await run(['env']);

    for (const { what, result } of outputs) {
      for (const value of [FILE_SECRET, COMMAND_SECRET, PLAIN_VALUE]) {
        assert.ok(!result.stdout.includes(value), `stdout of "cutover ${what}" shows a value`);
        assert.ok(!result.stderr.includes(value), `stderr of "cutover ${what}" shows a value`);
      }
    }

    // Every file cutover keeps: the databases with their WAL and SHM files, pid, token, logs.
    const files = filesUnder(dataDir());
    assert.ok(
      files.some((f) => f.endsWith('-wal')),
      'the WAL files are searched too',
    );
    for (const file of files) {
      const stat = statSync(file);
      if (!stat.isFile()) continue;
      const bytes = readFileSync(file);
      for (const value of [FILE_SECRET, COMMAND_SECRET]) assert.equal(bytes.indexOf(value), -1, `${file} holds a secret`);
    }
    for (const log of files.filter((f) => f.endsWith('.log'))) {
      assert.equal(readFileSync(log).indexOf(PLAIN_VALUE), -1, `${log} holds an env value`);
    }
  });

  test('a user who asks for one value gets it', async () => {
    const secret = await box.cli(['env', 'DB_PASSWORD']);
    assert.equal(secret.code, 0, secret.stderr);
    assert.equal(secret.stdout, `${COMMAND_SECRET}\n`);
    const plain = await box.cli(['env', 'PLAIN_SETTING', '--json']);
    assert.equal(JSON.parse(plain.stdout).value, PLAIN_VALUE);
    const unknown = await box.cli(['env', 'NOPE']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /CUT_ERR_CONFIG_ENV_UNKNOWN/);
  });

  test('the data directory is private: 0700, its files and the admin socket 0600', () => {
    const dir = dataDir();
    assert.equal(statSync(dir).mode & 0o777, 0o700, dir);
    // Everything but the release directories (the user's code, with the modes it came with).
    const files = filesUnder(dir).filter((f) => !f.startsWith(join(dir, 'releases')));
    assert.ok(
      files.some((f) => f.endsWith('agent.sock')),
      'the admin socket is checked',
    );
    assert.ok(
      files.some((f) => f.endsWith('.log') && f.includes('/logs/')),
      'the instance logs are checked',
    );
    for (const file of files) {
      const stat = statSync(file);
      const want = stat.isDirectory() ? 0o700 : 0o600;
      assert.equal((stat.mode & 0o777).toString(8), want.toString(8), file);
    }
  });
});
