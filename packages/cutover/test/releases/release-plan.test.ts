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

test('buildReleasePlan: secrets travel as references (files made absolute, commands with their directory), never values', () => {
  const loaded = parseConfigText(
    `service: shop
secrets:
  API_KEY: { file: secrets/api-key }
  SHARED: { command: "vault read -field=x secret/shop", timeoutMs: 5s }
processes:
  web: { command: node server.js, secrets: { DB_PASSWORD: { file: /run/secrets/db } } }
  worker: { command: node worker.js, portEnv: null }
`,
    '/srv/shop/cutover.yml',
  );
  const plan = buildReleasePlan(loaded, 'v2', '/srv/shop/releases/v2', {});
  assert.deepEqual(plan.processes[0].template.secrets, {
    API_KEY: { file: '/srv/shop/secrets/api-key' },
    SHARED: { command: 'vault read -field=x secret/shop', cwd: '/srv/shop', timeoutMs: 5000 },
    DB_PASSWORD: { file: '/run/secrets/db' },
  });
  assert.deepEqual(Object.keys(plan.processes[1].template.secrets ?? {}), ['API_KEY', 'SHARED']);
});

test('a name both in env and in secrets is a config problem', () => {
  assert.throws(
    () =>
      parseConfigText(
        'service: shop\nenv: { API_KEY: x }\nsecrets: { API_KEY: { file: k } }\nprocesses:\n  web: { command: x }\n',
        '/srv/cutover.yml',
      ),
    /secrets\.API_KEY: API_KEY is both an env value and a secret/,
  );
  assert.throws(
    () =>
      parseConfigText(
        'service: shop\nsecrets: { API_KEY: { file: k, command: y } }\nprocesses:\n  web: { command: x }\n',
        '/srv/cutover.yml',
      ),
    /CUT_ERR_CONFIG_INVALID|secrets\.API_KEY/,
  );
});
