// Secrets stay secret: a deploy with a secret from a file and one from a command, then every byte
// cutover keeps (databases and WAL files included), every CLI output and every log is searched.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type CliResult, Sandbox } from './support/sandbox.ts';
import { createScratchDatabase, POSTGRES_ADMIN_URL } from './support/scratch-database.ts';

const FILE_SECRET = `file-secret-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 16)}`;
const COMMAND_SECRET = `command-secret-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 16)}`;
const PLAIN_VALUE = `plain-value-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 16)}`;
/** The password inside the DATABASE_URL secret (PostgreSQL trusts loopback here, so any password connects). */
const URL_PASSWORD = `url-secret-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 16)}`;

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
  let database: Awaited<ReturnType<typeof createScratchDatabase>>;

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
    // DATABASE_URL is a secret too: migrations and the postgres check must read it like the app does.
    database = await createScratchDatabase('cutover_secrets');
    const url = new URL(POSTGRES_ADMIN_URL);
    url.password = URL_PASSWORD;
    url.pathname = `/${database.name}`;
    writeFileSync(join(box.dir, 'secrets', 'database-url'), url.toString(), { mode: 0o600 });
    writeFileSync(join(box.dir, 'secrets', 'plain'), PLAIN_VALUE);
    mkdirSync(join(box.dir, 'migrations'));
    writeFileSync(join(box.dir, 'migrations', '0001_seen.sql'), 'CREATE TABLE seen (id int);\n');
    // Hooks and a command check see the release's env and secrets: each proves it, and one prints a secret.
    const sawSecrets = `test "$API_KEY" = "$(cat secrets/api-key)" && test "$DB_PASSWORD" = "$(cat secrets/db-password)" && test "$PLAIN_SETTING" = "$(cat secrets/plain)"`;
    await box.writeConfig(
      (port) => `service: secretive
release: { source: directory, path: 'releases/{release}' }
env: { PLAIN_SETTING: ${PLAIN_VALUE} }
secrets:
  API_KEY: { file: secrets/api-key }
  DATABASE_URL: { command: "cat secrets/database-url" }
checks:
  - { name: secrets-seen, kind: command, command: ${JSON.stringify(sawSecrets)} }
  - { name: database, kind: postgres, urlEnv: DATABASE_URL }
migrations: { directory: migrations, databaseUrlEnv: DATABASE_URL }
hooks:
  preDeploy:
    - ${JSON.stringify(`${sawSecrets} && echo "the hook saw $CUTOVER_RELEASE" >> hook-saw.txt`)}
    - 'echo "a careless hook prints API_KEY=$API_KEY and DB_PASSWORD=$DB_PASSWORD"'
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

  after(async () => {
    await box.cleanup();
    await database?.drop();
  });

  test('the app gets its secrets; nothing cutover prints, records or logs holds one', async () => {
    const up = await run(['up', '--release', 'v1']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
    const deploy = await run(['deploy', 'v2', '--json']);
    assert.equal(deploy.code, 0, deploy.stderr + deploy.stdout);

    // Hooks, the command check, the postgres check and the migrations got the release's env and secrets.
    assert.equal(readFileSync(join(box.dir, 'hook-saw.txt'), 'utf8'), 'the hook saw v1\nthe hook saw v2\n');
    const record = JSON.parse(deploy.stdout).deployment as {
      steps: { name: string; outcome: string }[];
      events: { type: string; data: { line?: string } }[];
    };
    assert.equal(record.steps.find((s) => s.name === 'pre-deploy checks')?.outcome, 'ok');
    assert.equal(record.steps.find((s) => s.name === 'migrate')?.outcome, 'ok');
    const printed = record.events.filter((e) => e.type === 'hook:output').map((e) => e.data.line);
    assert.ok(printed.includes('a careless hook prints API_KEY=[secret] and DB_PASSWORD=[secret]'), printed.join('\n'));
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const applied = await client.query("SELECT to_regclass('public.seen') AS seen");
    await client.end();
    assert.equal(applied.rows[0].seen, 'seen', 'the migration ran against the DATABASE_URL secret');

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
      [
        'PLAIN_SETTING: env',
        'API_KEY: secret file secrets/api-key',
        'DATABASE_URL: secret command "cat secrets/database-url"',
        'DB_PASSWORD: secret command "cat secrets/db-password"',
      ],
    );
    await run(['env']);

    for (const { what, result } of outputs) {
      for (const value of [FILE_SECRET, COMMAND_SECRET, PLAIN_VALUE, URL_PASSWORD]) {
        assert.ok(
          !result.stdout.includes(value),
          `stdout of "cutover ${what}" shows a value:\n${result.stdout
            .split('\n')
            .filter((l) => l.includes(value))
            .join('\n')}`,
        );
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
      for (const value of [FILE_SECRET, COMMAND_SECRET, URL_PASSWORD]) assert.equal(bytes.indexOf(value), -1, `${file} holds a secret`);
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
