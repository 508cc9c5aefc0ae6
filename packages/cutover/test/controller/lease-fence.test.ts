// A deployment that loses its deploy lock stops before its next step: the fencing check runs
// before every step, not only before the calls that change something at the agent.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Agent } from '../../src/agent/agent.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { SILENT_OBSERVER } from '../../src/controller/deployment-recorder.ts';
import { deployLockName } from '../../src/controller/deployment-state.ts';
import { runDeployment } from '../../src/controller/run-deployment.ts';
import { AgentClient } from '../../src/platform/agent-client.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';
import { startTestAgent } from '../helpers/test-agent.ts';

const dir = mkdtempSync(join(tmpdir(), 'cutover-fence-'));
const dataDir = join(dir, 'data');
let agent: Agent;

before(async () => {
  mkdirSync(join(dir, 'releases', 'v1'), { recursive: true });
  writeFileSync(join(dir, 'releases', 'v1', 'server.js'), 'setInterval(() => {}, 1000);\n');
  agent = await startTestAgent(dataDir);
});
after(async () => {
  await agent.stop({ stopInstances: true });
  rmSync(dir, { recursive: true, force: true });
});

test('a deployment whose lock is taken during a step is interrupted before the next step runs anything', { timeout: 120_000 }, async () => {
  const checked = join(dir, 'check-ran');
  const config = `service: fenced
release: { source: directory, path: 'releases/{release}' }
hooks:
  preDeploy: ['true']
checks:
  - { name: side-effect, kind: command, command: ${JSON.stringify(`touch ${checked}`)} }
processes:
  web: { command: ${JSON.stringify(`${process.execPath} server.js`)}, health: { type: process } }
`;
  const loaded = { ...parseConfigText(config, join(dir, 'cutover.yml')), dataDir };
  const thief = new DeploymentStore(join(dataDir, 'cutover.db'));
  const started: string[] = [];
  const outcome = await runDeployment({
    loaded,
    release: 'v1',
    kind: 'deploy',
    observer: {
      ...SILENT_OBSERVER,
      stepStarted(name) {
        started.push(name);
        // While the hooks run, another deployment takes the lock over (as after an expired lease).
        if (name === 'preDeploy hooks')
          thief.db
            .prepare('UPDATE locks SET owner = ?, expires_at = ? WHERE name = ?')
            .run('another-deployment', Date.now() + 600_000, deployLockName('fenced'));
      },
    },
  });
  thief.close();
  assert.equal(outcome.state, 'interrupted', outcome.reason ?? '');
  assert.match(outcome.reason ?? '', /lost its deploy lock/);
  assert.equal(started.at(-1), 'preDeploy hooks', `steps started: ${started.join(', ')}`);
  assert.equal(existsSync(checked), false, 'the check after the lost lock ran');
  assert.deepEqual(await new AgentClient(dataDir).state('fenced').then((s) => s.instances), []);
});
