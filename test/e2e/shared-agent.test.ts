// Two services of one agent (two cutover.yml files, one data directory): `cutover down` of one stops
// that service only; the other keeps its instances and keeps serving through the same agent.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { reservePortRange } from '@cutover/service-kit/testing';
import { collect, Sandbox } from './support/sandbox.ts';

interface Status {
  instances: { spec: { service: string; release: string } }[];
}

describe('two services on one agent', () => {
  const box = new Sandbox('cutover-shared-agent-');
  const beta = join(box.dir, 'beta.yml');
  const betaCli = (args: string[]) => collect(box.spawnCliWith([...args, '--config', beta]), 120_000);
  const config = (service: string, prefix: string, port: number, range: [number, number]) => `service: ${service}
processes:
  web:
    command: node server.js
    instances: 1
    health: { type: http, path: /up, startTimeoutMs: 10s }
proxy: { pathPrefix: ${prefix} }
rollout: { strategy: rolling, healthTimeoutMs: 10s }
agent: { httpPort: ${port}, portRange: [${range[0]}, ${range[1]}] }
`;

  before(async () => {
    box.release('v1', {});
    const range = await reservePortRange();
    await box.writeConfig((port) => config('alpha', '/', port, range));
    writeFileSync(beta, config('beta', '/beta', box.httpPort, range));
    const alphaUp = await box.cli(['up', '--release', 'v1']);
    assert.equal(alphaUp.code, 0, alphaUp.stderr + alphaUp.stdout);
    const betaUp = await betaCli(['up', '--release', 'v1']);
    assert.equal(betaUp.code, 0, betaUp.stderr + betaUp.stdout);
  });

  after(() => box.cleanup());

  test('cutover down of one service leaves the other running and serving; the agent keeps running', async () => {
    // Each service's status lists its own instances.
    const running = async (cli: (args: string[]) => ReturnType<Sandbox['cli']>) => {
      const status = await cli(['status', '--json']);
      assert.equal(status.code, 0, status.stderr);
      return (JSON.parse(status.stdout) as Status).instances.map((i) => `${i.spec.service} ${i.spec.release}`);
    };
    const alphaCli = (args: string[]) => box.cli(args);
    assert.deepEqual(await running(alphaCli), ['alpha v1']);
    assert.deepEqual(await running(betaCli), ['beta v1']);
    const betaAnswer = async () => {
      const response = await fetch(`${box.url}/beta/hello`);
      return { status: response.status, path: ((await response.json()) as { path: string }).path };
    };
    assert.deepEqual(await betaAnswer(), { status: 200, path: '/beta/hello' });

    const down = await box.cli(['down', '--json']);
    assert.equal(down.code, 0, down.stderr);
    const stopped = JSON.parse(down.stdout) as { service: string; instances: number; agent: { running: boolean; services: string[] } };
    assert.equal(stopped.service, 'alpha');
    assert.equal(stopped.instances, 1);
    assert.deepEqual(stopped.agent, { ...stopped.agent, running: true, services: ['beta'] });

    assert.deepEqual(await running(alphaCli), [], 'alpha stopped');
    assert.deepEqual(await running(betaCli), ['beta v1'], 'beta kept its instance');
    assert.deepEqual(await betaAnswer(), { status: 200, path: '/beta/hello' }, 'beta still serves through the agent');
  });
});
