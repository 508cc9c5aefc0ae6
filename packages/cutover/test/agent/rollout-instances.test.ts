import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { reservePortRange } from '@cutover/service-kit/testing';
import { Agent } from '../../src/agent/agent.ts';
import type { InstanceInfo, InstanceState } from '../../src/agent/supervisor/process-supervisor.ts';
import { FAST_RESTART, makeSandbox, type Sandbox, spec } from './supervisor/test-apps.ts';

const TEST = { timeout: 60_000 };

describe('instances started as part of a rollout', () => {
  let box: Sandbox;
  let agent: Agent;
  before(async () => {
    box = await makeSandbox();
    agent = new Agent({
      dataDir: join(box.dir, 'data'),
      httpPort: 0,
      listenHost: '127.0.0.1',
      adminPort: 0,
      portRange: await reservePortRange(),
      logMaxBytes: 1024 * 1024,
      logKeepFiles: 1,
    });
    await agent.start();
    agent.proxy.setRoute({ service: 'shop', hosts: [], pathPrefix: '/', stripPrefix: false, drainTimeoutMs: 1000, websocketGraceMs: 100 });
  });
  after(async () => {
    await agent.stop({ stopInstances: true });
    await box.cleanup();
  });

  const states = new Map<string, InstanceState[]>();
  before(() => {
    agent.supervisor.on('instance:state', (info: InstanceInfo) =>
      states.set(info.spec.id, [...(states.get(info.spec.id) ?? []), info.state]),
    );
  });

  async function until(check: () => boolean, label: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function startHealthy(rollout: boolean, appEnv: Record<string, string> = {}): Promise<InstanceInfo> {
    const info = await agent.routing.startInstance(spec(box, { restart: FAST_RESTART, appEnv }), { route: true, rollout });
    await until(() => agent.routing.isInPool(info.spec.id), 'in the pool');
    return agent.supervisor.get(info.spec.id)!;
  }

  const targetIds = () => agent.proxy.targets('shop').map((t) => t.id);

  test('a crash fails it at once: not restarted, out of the pool', TEST, async () => {
    const info = await startHealthy(true);
    process.kill(info.pid!, 'SIGKILL');
    await until(() => agent.supervisor.get(info.spec.id)?.state === 'failed', 'failed');
    assert.match(agent.supervisor.get(info.spec.id)!.failure ?? '', /exited with signal SIGKILL during its rollout, not restarted/);
    assert.ok(!states.get(info.spec.id)!.includes('restarting'), `states: ${states.get(info.spec.id)}`);
    assert.equal(agent.routing.isInPool(info.spec.id), false);
    await until(() => !targetIds().includes(info.spec.id), 'gone from the proxy targets');
  });

  test('a lost health check fails it at once and stops its process', TEST, async () => {
    const downFile = join(box.dir, 'down-1');
    const info = await startHealthy(true, { DOWN_FILE: downFile });
    writeFileSync(downFile, '');
    await until(() => agent.supervisor.get(info.spec.id)?.state === 'failed', 'failed');
    assert.match(agent.supervisor.get(info.spec.id)!.failure ?? '', /lost its health during its rollout/);
    assert.ok(!states.get(info.spec.id)!.includes('unhealthy'), 'never an unhealthy instance waiting to come back');
    await until(() => {
      try {
        process.kill(info.pid!, 0);
        return false;
      } catch {
        return true;
      }
    }, 'its process gone');
  });

  test('once settled (the rollout succeeded), or when not part of a rollout, a crash restarts it', TEST, async () => {
    const settled = await startHealthy(true);
    agent.supervisor.settle(settled.spec.id);
    const plain = await startHealthy(false);
    for (const info of [settled, plain]) {
      process.kill(info.pid!, 'SIGKILL');
      await until(() => (states.get(info.spec.id) ?? []).includes('restarting'), 'restarting');
      await until(() => agent.supervisor.get(info.spec.id)?.state === 'healthy', 'healthy again');
    }
  });
});
