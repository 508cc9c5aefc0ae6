import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildSpawnSpec } from '../../../src/agent/supervisor/build-spawn-spec.ts';
import type { InstanceSpec } from '../../../src/agent/supervisor/instance-spec.ts';

const spec: InstanceSpec = {
  id: 'shop-web-r7-0',
  service: 'shop',
  release: 'r7',
  processType: 'web',
  command: 'node server.js --flag',
  cwd: '/srv/shop/releases/r7',
  env: { NODE_ENV: 'production', PORT: 'ignored' },
  portEnv: 'PORT',
  health: undefined,
  restart: { maxRestarts: 5, backoffMs: 100, maxBackoffMs: 10_000, windowMs: 60_000 },
  stopTimeoutMs: 10_000,
};

describe('buildSpawnSpec', () => {
  test('execs the command through sh with the port and CUTOVER_* facts added to the env', () => {
    assert.deepEqual(buildSpawnSpec(spec, 20_001), {
      file: '/bin/sh',
      args: ['-c', 'exec node server.js --flag'],
      cwd: '/srv/shop/releases/r7',
      env: {
        NODE_ENV: 'production',
        PORT: '20001',
        CUTOVER_SERVICE: 'shop',
        CUTOVER_RELEASE: 'r7',
        CUTOVER_PROCESS_TYPE: 'web',
        CUTOVER_INSTANCE_ID: 'shop-web-r7-0',
      },
    });
  });

  test('a process without a port env gets no port var', () => {
    const worker = { ...spec, processType: 'worker', portEnv: null, env: { QUEUE: 'mail' } };
    assert.deepEqual(buildSpawnSpec(worker, null), {
      file: '/bin/sh',
      args: ['-c', 'exec node server.js --flag'],
      cwd: '/srv/shop/releases/r7',
      env: {
        QUEUE: 'mail',
        CUTOVER_SERVICE: 'shop',
        CUTOVER_RELEASE: 'r7',
        CUTOVER_PROCESS_TYPE: 'worker',
        CUTOVER_INSTANCE_ID: 'shop-web-r7-0',
      },
    });
  });

  test('does not modify the spec env', () => {
    buildSpawnSpec(spec, 20_001);
    assert.deepEqual(spec.env, { NODE_ENV: 'production', PORT: 'ignored' });
  });
});
