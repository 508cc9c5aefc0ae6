import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../src/config/load-config.ts';
import { buildInstanceId, buildReleasePlan } from '../../src/releases/release-plan.ts';

test('buildReleasePlan: routed type first, env layered, only the inherited variables pass through', () => {
  const loaded = parseConfigText(
    `service: shop
env: { SHARED: "1", LEVEL: config }
processes:
  worker: { command: node worker.js, portEnv: null, env: { LEVEL: worker } }
  web: { command: node server.js, instances: 2, cwd: app }
`,
    '/srv/shop/cutover.yml',
  );
  const plan = buildReleasePlan(loaded, 'v2', '/srv/shop/releases/v2', { PATH: '/usr/bin', SECRET: 'not passed', HOME: '/root' });
  assert.deepEqual(
    plan.processes.map((p) => [p.processType, p.instances, p.routed, p.template.cwd, p.template.portEnv]),
    [
      ['web', 2, true, '/srv/shop/releases/v2/app', 'PORT'],
      ['worker', 1, false, '/srv/shop/releases/v2', null],
    ],
  );
  assert.deepEqual(plan.processes[1].template.env, { PATH: '/usr/bin', HOME: '/root', SHARED: '1', LEVEL: 'worker' });
  assert.equal(plan.processes[0].template.release, 'v2');
});

test('buildInstanceId is readable and safe', () => {
  assert.equal(buildInstanceId('v2', 'web', 12, 3), 'v2.web.d12.3');
  assert.equal(buildInstanceId('feature/x y', 'web', 1, 1), 'feature_x_y.web.d1.1');
});
