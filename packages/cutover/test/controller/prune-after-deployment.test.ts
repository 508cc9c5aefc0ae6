// keepReleases and keepDeployments bound what deployments leave behind: the pruning runs after each
// real deployment (the pure planners are tested on their own in releases/ and store/).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Agent } from '../../src/agent/agent.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { SILENT_OBSERVER } from '../../src/controller/deployment-recorder.ts';
import { runDeployment } from '../../src/controller/run-deployment.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';
import { startTestAgent } from '../helpers/test-agent.ts';

const dir = mkdtempSync(join(tmpdir(), 'cutover-prune-'));
const dataDir = join(dir, 'data');
let agent: Agent;

before(async () => {
  agent = await startTestAgent(dataDir);
});
after(async () => {
  await agent.stop({ stopInstances: true });
  rmSync(dir, { recursive: true, force: true });
});

test('after each deployment, built releases beyond keepReleases and records beyond keepDeployments are deleted', {
  timeout: 180_000,
}, async () => {
  const config = `service: bounded
release:
  source: build
  command: ${JSON.stringify(`printf 'setInterval(() => {}, 1000);\\n' > "$CUTOVER_RELEASE_DIR/server.js"`)}
processes:
  web: { command: ${JSON.stringify(`${process.execPath} server.js`)}, health: { type: process } }
keepReleases: 1
keepDeployments: 2
`;
  const loaded = { ...parseConfigText(config, join(dir, 'cutover.yml')), dataDir };
  for (const release of ['v1', 'v2', 'v3', 'v4']) {
    const outcome = await runDeployment({ loaded, release, kind: 'deploy', observer: SILENT_OBSERVER });
    assert.equal(outcome.state, 'succeeded', outcome.reason ?? '');
  }
  const copies = readdirSync(join(dataDir, 'releases', 'bounded'))
    .filter((name) => !name.startsWith('.'))
    .sort();
  // v4 serves; v3 is the rollback target: both are kept whatever keepReleases says, the older ones go.
  assert.deepEqual(copies, ['v3', 'v4']);
  const store = new DeploymentStore(join(dataDir, 'cutover.db'));
  try {
    assert.deepEqual(
      store.deployments('bounded', 100).map((d) => d.toRelease),
      ['v4', 'v3'],
    );
  } finally {
    store.close();
  }
});
