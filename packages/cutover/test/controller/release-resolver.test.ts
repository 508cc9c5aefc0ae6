import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfigText } from '../../src/config/load-config.ts';
import { DeployLock } from '../../src/controller/deploy-lock.ts';
import { CutoverError } from '../../src/errors/cutover-error.ts';
import { resolveRelease } from '../../src/releases/release-resolver.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';

function project(release: string) {
  const root = mkdtempSync(join(tmpdir(), 'cutover-release-'));
  const file = join(root, 'cutover.yml');
  writeFileSync(file, `service: shop\nrelease:\n${release}\nprocesses:\n  web:\n    command: node server.js\n`);
  return { root, loaded: parseConfigText(readFileSync(file, 'utf8'), file), releasesDir: join(root, '.cutover', 'releases') };
}

async function buildError(promise: Promise<unknown>): Promise<CutoverError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CutoverError);
    return error;
  }
  assert.fail('expected the release to fail');
}

test('a failed build leaves nothing behind and is built again next time', async () => {
  // Fails the first time after writing part of the release, succeeds the second time.
  const { root, loaded, releasesDir } = project(
    '  source: build\n  command: echo partial > "$CUTOVER_RELEASE_DIR/half"; if [ -e tried ]; then echo ok > "$CUTOVER_RELEASE_DIR/app"; else touch tried; echo boom; exit 4; fi',
  );
  const failure = await buildError(resolveRelease(loaded, 'v1', releasesDir, { onOutput() {} }));
  assert.equal(failure.code, 'CUT_ERR_DEPLOY_BUILD_FAILED');
  assert.equal(failure.details?.exitCode, 4);
  assert.equal(failure.details?.outputTail, 'boom');
  assert.deepEqual(readdirSync(join(releasesDir, 'shop')), [], 'no partial release and no temporary directory is left');
  assert.ok(existsSync(join(root, 'tried')));
  const dir = await resolveRelease(loaded, 'v1', releasesDir, { onOutput() {} });
  assert.equal(readFileSync(join(dir, 'app'), 'utf8'), 'ok\n');
});

test('a build that writes nothing fails, and an existing directory without a finished marker is rebuilt', async () => {
  const { loaded, releasesDir } = project('  source: build\n  command: "true"');
  const failure = await buildError(resolveRelease(loaded, 'v1', releasesDir, { onOutput() {} }));
  assert.match(failure.message, /wrote nothing/);
  // An empty directory cached by an older cutover (no marker) is not taken for a release.
  const stale = join(releasesDir, 'shop', 'v2');
  mkdirSync(stale, { recursive: true });
  const { loaded: building } = project('  source: build\n  command: echo built > "$CUTOVER_RELEASE_DIR/app"');
  const dir = await resolveRelease(building, 'v2', releasesDir, { onOutput() {} });
  assert.equal(readFileSync(join(dir, 'app'), 'utf8'), 'built\n');
});

test('a build longer than the deploy lease keeps the lease: the heartbeat fires and a second deploy is refused', async () => {
  // The build runs until the test lets it finish, and the test does so only after asking for the
  // lock three lease times into the build: a build that blocked the event loop would never end.
  const { root, loaded, releasesDir } = project(
    '  source: build\n  command: echo started; while [ ! -e "$CUTOVER_RELEASE_DIR/../go" ]; do sleep 0.05; done; echo done > "$CUTOVER_RELEASE_DIR/app"',
  );
  const store = new DeploymentStore(join(root, 'cutover.db'));
  const ttlMs = 400;
  const lock = new DeployLock(store, { ttlMs, heartbeatMs: 100 });
  const held = lock.acquire('deploy:shop');
  assert.ok(held.acquired);
  let building = true;
  const during: { whileBuilding: boolean; secondAcquired: boolean }[] = [];
  let probing: NodeJS.Timeout | undefined;
  await resolveRelease(loaded, 'v1', releasesDir, {
    onOutput(text) {
      if (!text.includes('started') || probing) return;
      // Past three lease times without a heartbeat the lease would have expired.
      probing = setTimeout(() => {
        const other = new DeploymentStore(join(root, 'cutover.db'));
        during.push({ whileBuilding: building, secondAcquired: new DeployLock(other).acquire('deploy:shop').acquired });
        other.close();
        writeFileSync(join(releasesDir, 'shop', 'go'), '');
      }, 3 * ttlMs);
    },
  });
  building = false;
  held.lease.release();
  store.close();
  assert.deepEqual(during, [{ whileBuilding: true, secondAcquired: false }]);
});

test('a git release is exported atomically and exported again when its branch moves', async () => {
  const { root, loaded, releasesDir } = project('  source: git');
  const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 't@example.com');
  git('config', 'user.name', 't');
  writeFileSync(join(root, 'app.txt'), 'one\n');
  git('add', 'app.txt');
  git('commit', '-q', '-m', 'one');
  const first = await resolveRelease(loaded, 'main', releasesDir);
  assert.equal(readFileSync(join(first, 'app.txt'), 'utf8'), 'one\n');
  assert.equal(existsSync(join(first, '.cutover-export.tar')), false);
  writeFileSync(join(root, 'app.txt'), 'two\n');
  git('commit', '-q', '-am', 'two');
  const second = await resolveRelease(loaded, 'main', releasesDir);
  assert.equal(second, first);
  assert.equal(readFileSync(join(second, 'app.txt'), 'utf8'), 'two\n', 'the moved branch was exported again');
  const unknown = await buildError(resolveRelease(loaded, 'nope', releasesDir));
  assert.equal(unknown.code, 'CUT_ERR_DEPLOY_UNKNOWN_RELEASE');
});

test('a failing export (a subdir that is not in the commit) caches nothing', async () => {
  const { root, loaded, releasesDir } = project('  source: git\n  subdir: missing');
  const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 't@example.com');
  git('config', 'user.name', 't');
  writeFileSync(join(root, 'app.txt'), 'one\n');
  git('add', 'app.txt');
  git('commit', '-q', '-m', 'one');
  const failure = await buildError(resolveRelease(loaded, 'main', releasesDir));
  assert.equal(failure.code, 'CUT_ERR_DEPLOY_BUILD_FAILED');
  assert.deepEqual(readdirSync(join(releasesDir, 'shop')), []);
});
