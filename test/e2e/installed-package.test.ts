// cutover as a user gets it: `npm pack` of packages/cutover, installed into a fresh project of the
// user's own, then `npx cutover init`, `up`, `deploy`, `status`, `down` there, on Node 24 and on the
// current LTS (Node 26 since October 2026). The npm registry (or npm's cache) must be reachable.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, REPO_ROOT } from './support/sandbox.ts';

/** The Node line that is Active LTS today; its npm package `node@<major>` brings the binary. */
const LTS_MAJOR = 26;
const NPM_TIMEOUT_MS = 240_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: { cwd: string; nodeDir?: string; timeoutMs?: number }): Promise<Run> {
  const PATH = options.nodeDir ? `${options.nodeDir}:${process.env.PATH}` : process.env.PATH;
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, PATH, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const npmFlags = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

function writeRelease(project: string, name: string): void {
  mkdirSync(join(project, 'releases', name), { recursive: true });
  writeFileSync(
    join(project, 'releases', name, 'server.js'),
    `import { createServer } from 'node:http';
createServer((req, res) => res.end(req.url === '/up' ? 'ok' : ${JSON.stringify(name)})).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`,
  );
}

describe('the packed cutover package, installed into a user project', () => {
  const work = mkdtempSync(join(tmpdir(), 'cutover-installed-'));
  const project = join(work, 'my-service');
  let tarball = '';

  before(async () => {
    const pack = await run('npm', ['pack', '--pack-destination', work, '--loglevel=error'], {
      cwd: join(REPO_ROOT, 'packages/cutover'),
      timeoutMs: NPM_TIMEOUT_MS,
    });
    assert.equal(pack.code, 0, pack.stderr);
    tarball = join(work, pack.stdout.trim().split('\n').at(-1) ?? '');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'my-service', version: '1.0.0', private: true, type: 'module' })}\n`,
    );
    const install = await run('npm', ['install', ...npmFlags, tarball], { cwd: project, timeoutMs: NPM_TIMEOUT_MS });
    assert.equal(install.code, 0, install.stderr);
    writeRelease(project, 'v1');
    writeRelease(project, 'v2');
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  test('the package ships JavaScript, no TypeScript sources, and a dist/ left behind by pack is gone', () => {
    const installed = join(project, 'node_modules', 'cutover');
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    assert.equal(existsSync(join(installed, pkg.exports['.'].default)), true, 'exports names a file that exists');
    assert.equal(existsSync(join(installed, pkg.bin.cutover)), true);
    assert.equal(existsSync(join(installed, 'src')), false);
    const files = (function walk(dir: string): string[] {
      return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    })(installed);
    assert.deepEqual(
      files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
      [],
    );
    assert.equal(existsSync(join(REPO_ROOT, 'packages/cutover/dist')), false, 'postpack removes the emitted files from the monorepo');
  });

  for (const line of ['24', 'lts'] as const) {
    test(`npx cutover init, up, deploy, status and down on Node ${line === 'lts' ? `${LTS_MAJOR} (LTS)` : line}`, async () => {
      let nodeDir = dirname(process.execPath);
      if (line === 'lts') {
        const nodeHome = join(work, `node${LTS_MAJOR}`);
        mkdirSync(nodeHome);
        writeFileSync(join(nodeHome, 'package.json'), `${JSON.stringify({ private: true, allowScripts: { node: true } })}\n`);
        const install = await run('npm', ['install', ...npmFlags, `node@${LTS_MAJOR}`], { cwd: nodeHome, timeoutMs: NPM_TIMEOUT_MS });
        assert.equal(install.code, 0, install.stderr);
        nodeDir = join(nodeHome, 'node_modules', '.bin');
      }
      const version = await run('node', ['--version'], { cwd: project, nodeDir });
      assert.match(version.stdout, new RegExp(`^v${line === 'lts' ? LTS_MAJOR : 24}\\.`));

      const cli = (args: string[]) => run('npx', ['--no-install', 'cutover', ...args], { cwd: project, nodeDir });
      rmSync(join(project, 'cutover.yml'), { force: true });
      const init = await cli(['init']);
      assert.equal(init.code, 0, init.stderr);
      const port = await freePort();
      const config = readFileSync(join(project, 'cutover.yml'), 'utf8');
      assert.match(config, /httpPort: \d+/);
      writeFileSync(join(project, 'cutover.yml'), config.replace(/httpPort: \d+/, `httpPort: ${port}`));
      try {
        const up = await cli(['up', '--release', 'v1']);
        assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
        assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'v1');
        const deploy = await cli(['deploy', 'v2', '--json']);
        assert.equal(deploy.code, 0, deploy.stderr);
        assert.equal(JSON.parse(deploy.stdout).deployment.state, 'succeeded');
        assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'v2');
        const status = await cli(['status']);
        assert.match(status.stdout, /serving v2/);
        // The dashboard's page, script, style and uPlot come from the installed package.
        const dashboard = await cli(['dashboard', '--json']);
        assert.equal(dashboard.code, 0, dashboard.stderr);
        const page = new URL(JSON.parse(dashboard.stdout).url);
        assert.match(await (await fetch(page)).text(), /<h2 id="h-services">/);
        for (const asset of ['/assets/dashboard.js', '/assets/dashboard.css', '/assets/uPlot.iife.min.js'])
          assert.equal((await fetch(new URL(asset, page))).status, 200, asset);
        const api = await run(
          'node',
          ['--input-type=module', '-e', "const c = await import('cutover'); console.log(typeof c.loadConfig)"],
          {
            cwd: project,
            nodeDir,
          },
        );
        assert.equal(api.stdout.trim(), 'function', api.stderr);
      } finally {
        const down = await cli(['down', '--agent']);
        assert.equal(down.code, 0, down.stderr);
        rmSync(join(project, '.cutover'), { recursive: true, force: true });
      }
    });
  }
});
