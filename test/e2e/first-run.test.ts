// A newcomer's first runs: a start that fails leaves nothing behind and says why; up after down brings
// back what served; down stops only its service; status and history read without writing.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, Sandbox } from './support/sandbox.ts';

/** Pids of processes whose command line names a path inside `dir` (the agent, the instances). */
function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(dir)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Instances run `node server.js` in their release directory: found by their working directory. */
function instancesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('server.js') && readlinkSync(`/proc/${entry}/cwd`).startsWith(dir))
        pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function assertNothingLeft(box: Sandbox, port: number): Promise<void> {
  assert.deepEqual(processesIn(box.dir), [], 'no agent process');
  assert.deepEqual(instancesIn(box.dir), [], 'no instance process');
  assert.equal(await portAnswers(port), false, `nothing listens on ${port}`);
}

describe('first runs', () => {
  const box = new Sandbox('cutover-first-run-');

  before(async () => {
    box.release('v1', {});
    box.release('v2', {});
    mkdirSync(join(box.dir, 'releases', 'crash'), { recursive: true });
    writeFileSync(
      join(box.dir, 'releases', 'crash', 'server.js'),
      "console.error('boom: DATABASE_URL is not set');\nconsole.error('giving up');\nprocess.exit(3);\n",
    );
    await box.writeConfig(
      (port) => `service: first
processes:
  web:
    command: node server.js
    instances: 1
    restart: { maxRestarts: 0 }
    health: { type: http, path: /up, startTimeoutMs: 10s }
rollout: { strategy: rolling, healthTimeoutMs: 10s }
agent: { httpPort: ${port} }
`,
    );
  });

  after(() => box.cleanup());

  test('a release that exits at start: exit code and stderr reported, nothing left, status says not running', async () => {
    const up = await box.cli(['up', '--release', 'crash', '--json']);
    assert.equal(up.code, 1, up.stderr);
    const result = JSON.parse(up.stdout);
    assert.equal(result.error.code, 'CUT_ERR_DEPLOY_FAILED');
    assert.equal(result.deployment.toRelease, 'crash');
    assert.match(result.error.message, /exited with code 3/);
    assert.match(result.error.message, /boom: DATABASE_URL is not set/);
    assert.doesNotMatch(result.error.message, /within \d+ ms: not healthy within/);
    await assertNothingLeft(box, box.httpPort);
    const status = await box.cli(['status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /service first: not running \(neither the service nor the agent runs\)/);
    assert.match(status.stdout, /last deployment \d+: deploy \(nothing\) → crash (failed|rolled_back)/);
  });

  test('up, up --release of another release does nothing and says why, down stops only the service', async () => {
    const up = await box.cli(['up', '--release', 'v1']);
    assert.equal(up.code, 0, up.stderr);
    assert.match((await box.cli(['status'])).stdout, /serving v1 on any host, every path/);
    const again = await box.cli(['up', '--release', 'v2']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /did nothing: first already serves v1.*cutover deploy v2/s);
    const down = await box.cli(['down', '--json']);
    assert.equal(down.code, 0, down.stderr);
    const stopped = JSON.parse(down.stdout);
    assert.equal(stopped.instances, 1);
    assert.equal(stopped.agent.running, true);
    assert.deepEqual(instancesIn(box.dir), [], 'the instance stopped');
    assert.equal(await portAnswers(box.httpPort), true, 'the agent still listens');
  });

  test('status and history after down read without writing; up brings back v1 and says so', async () => {
    const db = join(box.dir, '.cutover', 'cutover.db');
    const stamp = () => ['', '-wal'].map((suffix) => (existsSync(db + suffix) ? statSync(db + suffix).mtimeMs : 0)).join();
    const before = stamp();
    const status = await box.cli(['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).running, false);
    assert.equal((await box.cli(['history'])).code, 0);
    assert.equal(stamp(), before, 'no record was written');
    const up = await box.cli(['up']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /bringing back v1, the release that served before "cutover down"/);
    assert.match((await box.cli(['status'])).stdout, /serving v1/);
    const down = await box.cli(['down', '--agent']);
    assert.equal(down.code, 0, down.stderr);
    await assertNothingLeft(box, box.httpPort);
  });
});

describe('an agent that cannot start', () => {
  const box = new Sandbox('cutover-agent-fail-');
  let blocker: Server;
  let blockedPort = 0;

  before(async () => {
    box.release('v1', {});
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    blockedPort = (blocker.address() as { port: number }).port;
  });

  after(async () => {
    blocker.close();
    await box.cleanup();
  });

  test("an admin port in use: up reports the agent's own error, and the proxy port it had bound is free again", async () => {
    await box.writeConfig(
      (port) => `service: fail\nprocesses:\n  web: { command: node server.js }\nagent: { httpPort: ${port}, adminPort: ${blockedPort} }\n`,
    );
    const up = await box.cli(['up', '--release', 'v1', '--json']);
    assert.equal(up.code, 3, up.stderr);
    const { error } = JSON.parse(up.stdout);
    assert.equal(error.code, 'CUT_ERR_AGENT_PORT_IN_USE');
    assert.match(error.message, new RegExp(`port ${blockedPort} \\(agent.adminPort\\)`));
    await assertNothingLeft(box, box.httpPort);
  });

  test('TLS files that cannot be read: CUT_ERR_AGENT_TLS with the file', async () => {
    const httpsPort = await freePort();
    await box.writeConfig(
      (port) =>
        `service: fail\nprocesses:\n  web: { command: node server.js }\nagent:\n  httpPort: ${port}\n  httpsPort: ${httpsPort}\n  tls: { certFile: missing.crt, keyFile: missing.key }\n`,
    );
    const up = await box.cli(['up', '--release', 'v1', '--json']);
    assert.equal(up.code, 3, up.stderr);
    const { error } = JSON.parse(up.stdout);
    assert.equal(error.code, 'CUT_ERR_AGENT_TLS');
    assert.match(error.message, /missing\.(crt|key)/);
    await assertNothingLeft(box, box.httpPort);
    assert.equal(await portAnswers(httpsPort), false);
  });
});
