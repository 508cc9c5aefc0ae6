import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONFIG_CACHE_FILE, validatorFingerprint } from '../../src/config/config-cache.ts';
import { loadConfig, parseConfigText } from '../../src/config/load-config.ts';

const REPO = fileURLToPath(new URL('../../../..', import.meta.url));
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A project directory with this cutover.yml and (unless told) an existing default data directory. */
function project(text: string, withDataDir = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-config-cache-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'cutover.yml'), text);
  if (withDataDir) mkdirSync(join(dir, '.cutover'), { mode: 0o700 });
  return dir;
}

const MINIMAL =
  'service: shop\nrelease: { source: directory, path: "releases/{release}" }\nprocesses:\n  web: { command: node server.js }\n';

/** Every cutover.yml and fixture in the repository that is a valid config (the rich ones: every section). */
function validConfigTexts(): { name: string; text: string }[] {
  const files = execFileSync('git', ['ls-files', '*.yml', '*.yaml'], { cwd: REPO, encoding: 'utf8' }).trim().split('\n');
  const valid: { name: string; text: string }[] = [];
  for (const name of files) {
    const text = readFileSync(join(REPO, name), 'utf8');
    try {
      parseConfigText(text, join(tmpdir(), 'not-a-project', 'cutover.yml'));
      valid.push({ name, text });
    } catch {
      // Not a cutover.yml, or an invalid one on purpose.
    }
  }
  return valid;
}

test('a config read back from the cache equals the validated one, for every valid config in the repository', () => {
  const texts = validConfigTexts();
  let compared = 0;
  for (const { name, text } of texts) {
    const dir = project(text);
    const fresh = loadConfig(dir);
    if (fresh.dataDir !== join(dir, '.cutover')) continue; // agent.dataDir elsewhere: not cached (tested below)
    compared++;
    assert.ok(existsSync(join(dir, '.cutover', CONFIG_CACHE_FILE)), `${name}: no cache written`);
    const cached = loadConfig(dir);
    assert.deepEqual(cached, fresh, name);
    assert.ok(Object.isFrozen(cached.config), `${name}: the cached config is not frozen`);
  }
  assert.ok(compared >= 5, `only ${compared} valid configs compared`);
});

test('the cache is consulted: an entry for the text is used without validating the text again', () => {
  const dir = project(MINIMAL);
  loadConfig(dir);
  const path = join(dir, '.cutover', CONFIG_CACHE_FILE);
  const cache = JSON.parse(readFileSync(path, 'utf8')) as { entries: { config: { service: string } }[] };
  cache.entries[0].config.service = 'from-the-cache';
  writeFileSync(path, JSON.stringify(cache), { mode: 0o600 });
  assert.equal(loadConfig(dir).config.service, 'from-the-cache');
  // Others may write it: ignored, the file is validated again.
  chmodSync(path, 0o666);
  assert.equal(loadConfig(dir).config.service, 'shop');
});

test('a cache written by another cutover (another fingerprint) is ignored and replaced', () => {
  const dir = project(MINIMAL);
  loadConfig(dir);
  const path = join(dir, '.cutover', CONFIG_CACHE_FILE);
  const cache = JSON.parse(readFileSync(path, 'utf8')) as { fingerprint: string; entries: { config: { service: string } }[] };
  cache.fingerprint = 'an older cutover';
  cache.entries[0].config.service = 'stale';
  writeFileSync(path, JSON.stringify(cache), { mode: 0o600 });
  assert.equal(loadConfig(dir).config.service, 'shop');
  assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { fingerprint: string }).fingerprint, validatorFingerprint());
});

test('an edited cutover.yml is validated again: an invalid edit is reported after a valid text was cached', () => {
  const dir = project(MINIMAL);
  loadConfig(dir);
  writeFileSync(join(dir, 'cutover.yml'), MINIMAL.replace('service: shop', 'service: 42'));
  assert.throws(() => loadConfig(dir), { code: 'CUT_ERR_CONFIG_INVALID' });
  writeFileSync(join(dir, 'cutover.yml'), MINIMAL.replace('service: shop', 'service: other'));
  assert.equal(loadConfig(dir).config.service, 'other');
  const cache = JSON.parse(readFileSync(join(dir, '.cutover', CONFIG_CACHE_FILE), 'utf8')) as { entries: unknown[] };
  assert.equal(cache.entries.length, 2, 'both valid texts kept, the invalid one not');
});

test('the cache file is private (0600), and nothing is written without an existing default data directory', () => {
  const dir = project(MINIMAL);
  loadConfig(dir);
  assert.equal(statSync(join(dir, '.cutover', CONFIG_CACHE_FILE)).mode & 0o777, 0o600);
  const bare = project(MINIMAL, false);
  loadConfig(bare);
  assert.equal(existsSync(join(bare, '.cutover')), false, 'a reading verb created the data directory');
  const elsewhere = project(`${MINIMAL}agent: { dataDir: state }\n`);
  mkdirSync(join(elsewhere, 'state'));
  loadConfig(elsewhere);
  assert.equal(existsSync(join(elsewhere, '.cutover', CONFIG_CACHE_FILE)), false, 'cached in .cutover though agent.dataDir is elsewhere');
});

test('env files are read on every load, never cached', () => {
  const dir = project(`${MINIMAL}envFiles: [.env]\n`);
  writeFileSync(join(dir, '.env'), 'GREETING=hello\n');
  assert.equal(loadConfig(dir).env.GREETING, 'hello');
  writeFileSync(join(dir, '.env'), 'GREETING=changed\n');
  assert.equal(loadConfig(dir).env.GREETING, 'changed');
  assert.doesNotMatch(readFileSync(join(dir, '.cutover', CONFIG_CACHE_FILE), 'utf8'), /hello|changed/);
});

test('an environment is cached in its own data directory, keyed by the overlay too; an edited overlay is validated again', () => {
  const dir = project(MINIMAL, false);
  const stagingDir = join(dir, '.cutover-staging');
  mkdirSync(stagingDir, { mode: 0o700 });
  writeFileSync(join(dir, 'cutover.staging.yml'), 'processes:\n  web: { instances: 3 }\n');
  const staging = { name: 'staging', from: 'test' };
  const fresh = loadConfig(dir, undefined, staging);
  assert.equal(fresh.dataDir, stagingDir);
  assert.equal(fresh.config.processes.web.instances, 3);
  const path = join(stagingDir, CONFIG_CACHE_FILE);
  assert.ok(existsSync(path), 'the environment has its cache');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(existsSync(join(dir, '.cutover')), false, 'the base data directory is not created');
  assert.deepEqual(loadConfig(dir, undefined, staging), fresh, 'read back equal');

  // The cache is what is read: an entry changed by hand shows (the key covers base and overlay texts).
  const cache = JSON.parse(readFileSync(path, 'utf8')) as { entries: { config: { service: string } }[] };
  cache.entries[0].config.service = 'from-the-cache';
  writeFileSync(path, JSON.stringify(cache), { mode: 0o600 });
  assert.equal(loadConfig(dir, undefined, staging).config.service, 'from-the-cache');

  // Another overlay text: validated again, and an invalid one is reported.
  writeFileSync(join(dir, 'cutover.staging.yml'), 'processes:\n  web: { instances: 4 }\n');
  assert.equal(loadConfig(dir, undefined, staging).config.processes.web.instances, 4);
  writeFileSync(join(dir, 'cutover.staging.yml'), 'processes:\n  web: { instances: -1 }\n');
  assert.throws(() => loadConfig(dir, undefined, staging), { code: 'CUT_ERR_CONFIG_INVALID' });
});

test('an overlay that names its own agent.dataDir keeps it when read back from the cache', () => {
  const dir = project(MINIMAL, false);
  mkdirSync(join(dir, '.cutover-qa'), { mode: 0o700 });
  writeFileSync(join(dir, 'cutover.qa.yml'), 'agent: { dataDir: .cutover-qa }\n');
  const qa = { name: 'qa', from: 'test' };
  const fresh = loadConfig(dir, undefined, qa);
  assert.equal(fresh.dataDir, join(dir, '.cutover-qa'));
  assert.ok(existsSync(join(dir, '.cutover-qa', CONFIG_CACHE_FILE)));
  assert.deepEqual(loadConfig(dir, undefined, qa), fresh);
});
