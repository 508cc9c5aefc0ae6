// What a verb loads is most of its start-up (each module is read, type-stripped and compiled), so
// the everyday verbs load only what they need: no YAML parser or zod once cutover.yml was validated
// (config-cache.ts), and never Fastify, pg, the SQL parser, the strategies or the proxy; the
// controller resumes its deployments before it loads its API, the schema, pg or the SQL parser.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));
const RECORDER = fileURLToPath(new URL('../helpers/record-loaded-modules.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cutover-verb-modules-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'cutover.yml'),
  'service: verb-modules\nrelease: { source: directory, path: "releases/{release}" }\nprocesses:\n  web: { command: node server.js, instances: 2 }\n',
);
mkdirSync(join(dir, '.cutover'), { mode: 0o700 });

/** Modules no everyday verb needs (each is tens to hundreds of files). */
const HEAVY = [
  /\/node_modules\/(zod|yaml|fastify|@fastify\/[^/]+|ajv|pg|pg-[^/]+|libpg-query|pgsql-parser|@pgsql\/[^/]+|pino|ioredis|bullmq|croner|undici|@kubernetes\/[^/]+)\//,
  /\/src\/(database|strategies|analysis|checks|accessories|pipeline)\//,
  /\/src\/agent\/(proxy|health)\//,
  /\/src\/controller\/(api|steps|tasks|notify|run)\//,
];
/** Every light verb loads at most this many cutover and node_modules files (about 35 today). */
const MAX_FILES = 60;

function modulesOf(args: string[]): string[] {
  const record = join(dir, `modules-${args.join('-')}.txt`);
  const result = spawnSync(process.execPath, ['--import', RECORDER, CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CI: '1', CUTOVER_RECORD_MODULES: record },
  });
  assert.equal(result.error, undefined);
  return readFileSync(record, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file:') && url !== new URL(`file://${RECORDER}`).href);
}

function assertLight(what: string, files: string[]) {
  const heavy = files.filter((url) => HEAVY.some((pattern) => pattern.test(url)));
  assert.deepEqual(heavy, [], `${what} loads modules it does not need`);
  assert.ok(files.length <= MAX_FILES, `${what} loads ${files.length} files (at most ${MAX_FILES}):\n${files.join('\n')}`);
}

test('cutover status, once cutover.yml was validated, loads no YAML parser, no zod and nothing heavy', () => {
  const first = modulesOf(['status']);
  assert.ok(
    first.some((url) => url.includes('/node_modules/zod/')),
    'the first run validates cutover.yml (with zod): the recorder sees modules',
  );
  assertLight('cutover status', modulesOf(['status']));
  assertLight('cutover status --json', modulesOf(['status', '--json']));
  assertLight('cutover history', modulesOf(['history']));
});

test("the everyday verbs' own modules (what --help loads) are light", () => {
  for (const verb of ['deploy', 'watch', 'status', 'rollback', 'promote', 'abort', 'history', 'env', 'logs', 'init']) {
    assertLight(`cutover ${verb}`, modulesOf([verb, '--help']));
  }
});

/** What a restarted controller must not wait for before it resumes deployments (loaded later, or by the step that needs it). */
const CONTROLLER_LATER = [
  /\/node_modules\/(zod|yaml|fastify|@fastify\/[^/]+|ajv|pg|pg-[^/]+|libpg-query|pgsql-parser|@pgsql\/[^/]+)\//,
  /\/src\/(database|accessories)\//,
  /\/src\/controller\/api\//,
];
/** The controller's modules up to its resume: about 115 today (there were 712 with the API, pg and the SQL parser). */
const MAX_CONTROLLER_FILES = 160;

test('the controller loads, before it resumes deployments, no schema, API server, pg or SQL parser', () => {
  // `controller --help` loads the verb's module and all it imports statically: what runs before the resume.
  const files = modulesOf(['controller', '--help']);
  assert.deepEqual(
    files.filter((url) => CONTROLLER_LATER.some((pattern) => pattern.test(url))),
    [],
    'the controller loads modules before its resume that it does not need then',
  );
  assert.ok(
    files.length <= MAX_CONTROLLER_FILES,
    `the controller loads ${files.length} files before its resume (at most ${MAX_CONTROLLER_FILES})`,
  );
});
