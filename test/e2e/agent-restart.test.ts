// The agent's routing state lives in SQLite: a restarted agent routes exactly as before and adopts the apps that survived;
// with each data plane (with HAProxy, the one a killed agent left running is stopped by the next agent).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dataPlanes } from './support/data-planes.ts';
import { Sandbox } from './support/sandbox.ts';

for (const { dataPlane, skip } of dataPlanes())
  describe(`agent restart (dataPlane: ${dataPlane})`, { skip }, () => {
    const box = new Sandbox(`cutover-restart-${dataPlane}-`);

    before(async () => {
      box.release('v1', { bootDelayMs: 100 });
      await box.writeConfig(
        (port) => `service: restart
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 5s }
proxy: { dataPlane: ${dataPlane} }
agent: { httpPort: ${port} }
`,
      );
      const up = await box.cli(['up', '--release', 'v1']);
      assert.equal(up.code, 0, up.stderr);
    });

    after(async () => {
      const strays = [...processesByInstance().values()].flat();
      await box.cleanup();
      // A copy the agent lost track of (the bug this file guards against) outlives "cutover down".
      for (const pid of strays) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    });

    const agentPid = () => (JSON.parse(readFileSync(join(box.dir, '.cutover/agent.pid'), 'utf8')) as { pid: number }).pid;
    /** HAProxy masters running this sandbox's config (a worker's parent is a master). */
    const haproxyMasters = () => {
      const config = join(box.dir, '.cutover/haproxy/haproxy.cfg');
      const parents = new Map<number, number>();
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        try {
          if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(config)) continue;
          const stat = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ');
          if (stat[0] !== 'Z') parents.set(Number(entry), Number(stat[1]));
        } catch {}
      }
      return [...parents.keys()].filter((pid) => !parents.has(parents.get(pid)!));
    };
    const appPids = async () =>
      (JSON.parse((await box.cli(['status', '--json'])).stdout).instances as { pid: number }[]).map((i) => i.pid).sort();
    const servedPids = async () => {
      const pids = new Set<number>();
      for (let i = 0; i < 20; i++) pids.add(((await (await fetch(`${box.url}/`)).json()) as { pid: number }).pid);
      return [...pids].sort();
    };

    async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (await check().catch(() => false)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail('condition not met in time');
    }

    test('kill -9 of the agent: the apps keep running, a new agent adopts them and routes to them again', async () => {
      const before = await appPids();
      assert.deepEqual(await servedPids(), before);
      const [orphan] = haproxyMasters();
      if (dataPlane === 'haproxy') assert.ok(orphan, 'an HAProxy master runs');
      process.kill(agentPid(), 'SIGKILL');
      if (dataPlane === 'node') {
        // The Node proxy is the agent's own process: it died with it.
        await waitUntil(
          async () =>
            await fetch(`${box.url}/`)
              .then(() => false)
              .catch(() => true),
          5000,
        );
      } else {
        // HAProxy is a process of its own: it keeps routing to the apps while no agent runs.
        assert.deepEqual(await servedPids(), before, 'the orphaned HAProxy still serves');
      }
      const up = await box.cli(['up']);
      assert.equal(up.code, 0, up.stderr);
      await waitUntil(async () => (await servedPids()).length === 2, 10_000);
      assert.deepEqual(await appPids(), before, 'the same processes, adopted, not restarted');
      assert.deepEqual(await servedPids(), before);
      if (dataPlane === 'haproxy') {
        // The new agent stopped it and runs its own: no stale HAProxy shares the port with it.
        const masters = haproxyMasters();
        assert.equal(masters.length, 1, `one HAProxy master, not ${masters.join(', ')}`);
        assert.notEqual(masters[0], orphan, `the HAProxy master ${orphan} the killed agent left is gone`);
      }
    });

    test('SIGTERM stops only the agent; the next agent adopts the apps', async () => {
      const before = await appPids();
      const pid = agentPid();
      process.kill(pid, 'SIGTERM');
      await waitUntil(async () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }, 10_000);
      for (const app of before) process.kill(app, 0);
      const up = await box.cli(['up']);
      assert.equal(up.code, 0, up.stderr);
      await waitUntil(async () => (await servedPids()).length === 2, 10_000);
      assert.deepEqual(await appPids(), before);
    });

    /** Live processes whose environment names a cutover instance of this sandbox, by instance id. */
    const processesByInstance = () => {
      const byId = new Map<string, number[]>();
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        let env: string;
        try {
          env = readFileSync(`/proc/${entry}/environ`, 'utf8');
          if (readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) continue;
        } catch {
          continue;
        }
        const vars = env.split('\0');
        if (!vars.includes('CUTOVER_SERVICE=restart') || !vars.some((v) => v.startsWith('PORT='))) continue;
        try {
          if (!readlinkSync(`/proc/${entry}/cwd`).startsWith(box.dir)) continue;
        } catch {
          continue;
        }
        const id = vars.find((v) => v.startsWith('CUTOVER_INSTANCE_ID='))?.slice('CUTOVER_INSTANCE_ID='.length);
        if (id === undefined) continue;
        byId.set(id, [...(byId.get(id) ?? []), Number(entry)]);
      }
      return byId;
    };

    test('kill -9 of an instance, then of the agent: the next agent adopts the restarted instance, no second copy starts', async () => {
      const status = async () =>
        JSON.parse((await box.cli(['status', '--json'])).stdout).instances as { pid: number; state: string; spec: { id: string } }[];
      const [victim] = await status();
      process.kill(victim.pid, 'SIGKILL');
      let restartedPid = 0;
      await waitUntil(async () => {
        const again = (await status()).find((i) => i.spec.id === victim.spec.id);
        restartedPid = again?.pid ?? 0;
        return again?.state === 'healthy' && again.pid !== victim.pid;
      }, 20_000);
      const before = await appPids();
      process.kill(agentPid(), 'SIGKILL');
      const up = await box.cli(['up']);
      assert.equal(up.code, 0, up.stderr);
      await waitUntil(async () => (await servedPids()).length === 2, 10_000);
      assert.deepEqual(await appPids(), before, 'the restarted instance is adopted by its new pid');
      assert.ok(before.includes(restartedPid));
      for (const [id, pids] of processesByInstance()) assert.equal(pids.length, 1, `instance ${id} runs once, not as ${pids.join(', ')}`);
      assert.equal(processesByInstance().size, 2);
    });
  });
