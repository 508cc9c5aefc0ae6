// cutover deploy/promote/abort --target kubernetes, as a real CLI process talking to a
// Kubernetes-API-compatible test server over HTTP through @kubernetes/client-node. The test plays
// the cluster's controllers (the Deployment controller, Argo Rollouts) by changing status.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FakeKubeApi } from './support/fake-kube-api.ts';
import { CLI } from './support/sandbox.ts';

const NS = 'shop-prod';
const dir = mkdtempSync(join(tmpdir(), 'cutover-k8s-'));
const api = new FakeKubeApi();

before(async () => {
  await api.start();
  writeFileSync(join(dir, 'kubeconfig'), api.kubeconfig(NS));
});
after(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(name: string, rollout: string, extra = ''): string {
  const file = join(dir, `${name}.yml`);
  writeFileSync(
    file,
    [
      'service: shop',
      'processes:',
      '  web: { command: node server.js, instances: 2, health: { type: http, path: /up } }',
      rollout,
      extra,
      'kubernetes:',
      `  namespace: ${NS}`,
      '  image: registry.example/shop:{release}',
      '  progressDeadlineMs: 30s',
      '',
    ].join('\n'),
  );
  return file;
}

function cli(
  args: string[],
  live?: { stdout: string },
  env: Record<string, string> = { KUBECONFIG: join(dir, 'kubeconfig') },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: '1', HOME: dir, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (live) live.stdout = stdout;
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const watchesOf = (plural: string) => api.requests.filter((r) => r.query.watch === 'true' && r.path.endsWith(`/${plural}`));

// biome-ignore lint/suspicious/noExplicitAny: rendered objects read field by field
function replicaSet(name: string, owner: string, ownerKind: string, revision: number, template: Record<string, any>) {
  const annotation = ownerKind === 'Rollout' ? 'rollout.argoproj.io/revision' : 'deployment.kubernetes.io/revision';
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: NS,
      labels: { ...template.metadata.labels, 'pod-template-hash': name.split('-').pop() },
      annotations: { [annotation]: String(revision) },
      ownerReferences: [{ kind: ownerKind, name: owner, apiVersion: 'apps/v1', uid: 'x' }],
    },
    spec: {
      replicas: 2,
      template: {
        ...template,
        metadata: { ...template.metadata, labels: { ...template.metadata.labels, 'pod-template-hash': name.split('-').pop() } },
      },
    },
    status: { replicas: 2 },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: rendered objects read field by field
const releaseOf = (o: Record<string, any> | undefined) => o?.spec?.template?.metadata?.annotations?.['cutover.dev/release'];

test('a rolling update that reaches its progress deadline is reported failed and undone to the previous revision', async () => {
  const config = writeConfig('rolling', 'rollout: { strategy: rolling, batchSize: 1 }');
  // v1 is deployed and healthy: the Deployment controller made revision 1.
  api.onChange = (kind, object) => {
    if (kind !== 'Deployment') return;
    const release = releaseOf(object);
    const revision = release === 'v1' ? 1 : release === 'v2' ? 2 : 3;
    api.put(replicaSet(`shop-${release}hash`, 'shop', 'Deployment', revision, object.spec.template));
    api.update('Deployment', NS, 'shop', (d) => {
      d.status = {
        observedGeneration: d.metadata.generation,
        replicas: 2,
        updatedReplicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
        conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
      };
    });
  };
  const first = await cli(['deploy', 'v1', '--target', 'kubernetes', '--config', config]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
  assert.equal(releaseOf(api.get('Deployment', NS, 'shop')), 'v1');
  const applied = api.requests.filter((r) => r.contentType === 'application/apply-patch+yaml' && !/\/(configmaps|leases)\//.test(r.path));
  assert.ok(applied.length >= 2 && applied.every((r) => r.query.fieldManager === 'cutover' && r.query.force === 'true'));

  // v2 never becomes available: the new ReplicaSet exists, then the controller gives up at the deadline.
  api.onChange = (kind, object) => {
    if (kind !== 'Deployment') return;
    const release = releaseOf(object);
    if (release === 'v2') {
      if (object.status?.observedGeneration === object.metadata.generation) return;
      api.put(replicaSet('shop-v2hash', 'shop', 'Deployment', 2, object.spec.template));
      api.update('Deployment', NS, 'shop', (d) => {
        d.status = {
          observedGeneration: d.metadata.generation,
          replicas: 3,
          updatedReplicas: 1,
          readyReplicas: 2,
          availableReplicas: 2,
          conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }],
        };
      });
      setImmediate(() =>
        api.update('Deployment', NS, 'shop', (d) => {
          d.status.conditions = [
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'ReplicaSet "shop-v2hash" has timed out progressing.',
            },
          ];
        }),
      );
    } else if (release === 'v1' && object.status?.observedGeneration !== object.metadata.generation) {
      api.update('Deployment', NS, 'shop', (d) => {
        d.status = {
          observedGeneration: d.metadata.generation,
          replicas: 2,
          updatedReplicas: 2,
          readyReplicas: 2,
          availableReplicas: 2,
          conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
        };
      });
    }
  };
  const second = await cli(['deploy', 'v2', '--target', 'kubernetes', '--config', config]);
  assert.equal(second.code, 1, second.stderr + second.stdout);
  assert.match(second.stderr, /CUT_ERR_KUBE_ROLLOUT_FAILED/);
  assert.match(second.stderr, /progress deadline exceeded/);
  assert.match(second.stderr, /undone to revision 1/);
  const deployment = api.get('Deployment', NS, 'shop');
  assert.equal(releaseOf(deployment), 'v1', 'the Deployment runs v1 again');
  assert.equal(deployment?.spec.template.metadata.labels['pod-template-hash'], undefined, 'the undo drops the hash label');
  assert.equal(JSON.parse(deployment?.metadata.annotations['cutover.dev/last-deployment']).outcome, 'failed');

  const history = await cli(['history', '--target', 'kubernetes', '--config', config, '--json']);
  assert.equal(history.code, 0, history.stderr);
  const revisions = JSON.parse(history.stdout).revisions.map((r: { revision: number; release: string }) => [r.revision, r.release]);
  assert.deepEqual(revisions.slice(0, 2), [
    [2, 'v2'],
    [1, 'v1'],
  ]);
  // Each deployment is recorded on the cluster with its steps and values, newest first.
  const records = JSON.parse(history.stdout).deployments;
  assert.deepEqual(
    records.map((r: { kind: string; fromRelease: string; toRelease: string; outcome: string }) => [
      r.kind,
      r.fromRelease,
      r.toRelease,
      r.outcome,
    ]),
    [
      ['deploy', 'v1', 'v2', 'rolled_back'],
      ['deploy', null, 'v1', 'succeeded'],
    ],
  );
  assert.deepEqual(
    records[0].steps.map((s: { name: string; outcome: string }) => `${s.name}:${s.outcome}`),
    ['apply:ok', 'rollout:ok', 'undo:ok'],
  );
  assert.equal(records[0].steps[1].values.state, 'failed');
  assert.match(records[0].reason, /progress deadline exceeded/);
  assert.ok(records[0].timeline.some((t: { message: string }) => /progress deadline exceeded/.test(t.message)));

  // rollback [release] goes back to the recorded revision that runs it; one that fails is undone too.
  const failedRollback = await cli(['rollback', 'v2', '--target', 'kubernetes', '--config', config]);
  assert.equal(failedRollback.code, 1, 'v2 still fails: the rollback to it reaches the deadline too');
  assert.match(failedRollback.stdout, /the rollback failed: undoing shop to revision 1 \(release v1\)/);
  assert.equal(releaseOf(api.get('Deployment', NS, 'shop')), 'v1');
  // Now v2 becomes available (what broke it was fixed): rolling back to it, then back again.
  api.onChange = (kind, object) => {
    if (kind !== 'Deployment' || object.status?.observedGeneration === object.metadata.generation) return;
    api.update('Deployment', NS, 'shop', (d) => {
      d.status = { observedGeneration: d.metadata.generation, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 };
    });
  };
  const toV2 = await cli(['rollback', 'v2', '--target', 'kubernetes', '--config', config]);
  assert.equal(toV2.code, 0, toV2.stderr + toV2.stdout);
  const back = await cli(['rollback', '--target', 'kubernetes', '--config', config]);
  assert.equal(back.code, 0, back.stderr + back.stdout);
  assert.match(back.stdout, /rolling shop back: v2 → v1 \(revision 1\)/);
  const status = await cli(['status', '--target', 'kubernetes', '--config', config, '--json']);
  const state = JSON.parse(status.stdout);
  assert.deepEqual([state.release, state.state, state.lastDeployment.outcome], ['v1', 'done', 'succeeded']);
  const missing = await cli(['rollback', 'v9', '--target', 'kubernetes', '--config', config]);
  assert.equal(missing.code, 5);
  assert.match(missing.stderr, /CUT_ERR_KUBE_NO_REVISION[\s\S]*recorded: 2 \(v2\), 1 \(v1\)/);
});

test('a watch that drops is resumed from the last resourceVersion it saw', async () => {
  const config = writeConfig('resume', 'rollout: { strategy: rolling }');
  api.onChange = () => {};
  const before = watchesOf('deployments').length;
  const live = { stdout: '' };
  const run = cli(['deploy', 'v5', '--target', 'kubernetes', '--config', config], live);
  // The apply creates the Deployment; the CLI then watches it from the resourceVersion it read.
  await until('the first watch', () => watchesOf('deployments').length > before || undefined);
  const progressed = api.update('Deployment', NS, 'shop', (d) => {
    d.status = { observedGeneration: d.metadata.generation, replicas: 2, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 };
  });
  // The CLI printed the change, so its watch saw it; then the connection is cut.
  await until('the progress line', () => live.stdout.includes('1 of 2 new replicas updated') || undefined);
  api.dropWatches();
  const resumed = await until('a resumed watch', () => watchesOf('deployments').slice(before + 1)[0]);
  assert.equal(resumed.query.resourceVersion, progressed.metadata.resourceVersion, 'resumed from the last version seen');
  api.update('Deployment', NS, 'shop', (d) => {
    d.status = { observedGeneration: d.metadata.generation, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 };
  });
  const result = await run;
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /2 of 2 replicas updated and available/);
});

test('a watch whose resourceVersion was compacted away (410 Gone) reads the object again', async () => {
  const config = writeConfig('gone', 'rollout: { strategy: rolling }');
  api.onChange = () => {};
  const before = watchesOf('deployments').length;
  const run = cli(['deploy', 'v3', '--target', 'kubernetes', '--config', config]);
  await until('the first watch', () => watchesOf('deployments').length > before || undefined);
  const latest = api.update('Deployment', NS, 'shop', (d) => {
    d.status = { observedGeneration: d.metadata.generation, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 };
  });
  api.compactedBelow = Number(latest.metadata.resourceVersion) + 1;
  api.dropWatches();
  const result = await run;
  assert.equal(result.code, 0, result.stderr + result.stdout);
  api.compactedBelow = 0;
});

const BLUE_GREEN = [
  'rollout:',
  '  strategy: blueGreen',
  '  prePromotionAnalysis:',
  '    prometheus: { address: "http://prometheus.monitoring:9090" }',
  '    metrics:',
  '      - { name: errors, provider: { kind: prometheus, query: "sum(rate(errors{release=\\"{{release}}\\"}[{{window}}]))" }, max: 1, count: 3 }',
].join('\n');

test('a Rollout aborted by its analysis is reported aborted', async () => {
  // target: kubernetes in the file: deploy goes to the cluster without --target.
  const config = writeConfig('bluegreen', BLUE_GREEN, 'target: kubernetes');
  api.onChange = (kind, object) => {
    if (kind !== 'Rollout' || object.status?.observedGeneration === String(object.metadata.generation)) return;
    api.update('Rollout', NS, 'shop', (r) => {
      r.status = {
        observedGeneration: String(r.metadata.generation),
        phase: 'Progressing',
        blueGreen: { prePromotionAnalysisRunStatus: { name: 'shop-7f9-2-pre', status: 'Running' } },
      };
    });
    setImmediate(() =>
      api.update('Rollout', NS, 'shop', (r) => {
        r.status = {
          ...r.status,
          phase: 'Degraded',
          abort: true,
          message:
            'RolloutAborted: Rollout aborted update to revision 2: Metric "errors" assessed Failed due to failed (1) > failureLimit (0)',
          blueGreen: {
            prePromotionAnalysisRunStatus: { name: 'shop-7f9-2-pre', status: 'Failed', message: 'Metric "errors" assessed Failed' },
          },
        };
      }),
    );
  };
  const result = await cli(['deploy', 'v2', '--config', config, '--json']);
  assert.equal(result.code, 1, result.stderr + result.stdout);
  const report = JSON.parse(result.stdout);
  assert.equal(report.outcome, 'aborted');
  assert.equal(report.error.code, 'CUT_ERR_KUBE_ROLLOUT_ABORTED');
  assert.match(report.error.message, /analysis run shop-7f9-2-pre Failed/);
  const templates = api.list('AnalysisTemplate', NS).map((t) => t.metadata.name);
  assert.deepEqual(templates, ['shop-pre-promotion']);
});

test('promote and abort change the Rollout as kubectl argo rollouts does', async () => {
  const config = writeConfig(
    'canary',
    'rollout:\n  strategy: canary\n  steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: { durationMs: 1m } }]',
  );
  api.onChange = () => {};
  api.put({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'shop', namespace: NS },
    spec: {
      paused: false,
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: { duration: '60s' } }] } },
    },
    status: {
      phase: 'Paused',
      currentStepIndex: 1,
      pauseConditions: [{ reason: 'CanaryPauseStep', startTime: new Date().toISOString() }],
      currentPodHash: 'b',
      stableRS: 'a',
    },
  });
  const promote = await cli(['promote', '--target', 'kubernetes', '--config', config]);
  assert.equal(promote.code, 0, promote.stderr + promote.stdout);
  const statusPatch = api.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/rollouts/shop/status')).at(-1);
  assert.equal(statusPatch?.contentType, 'application/merge-patch+json');
  assert.deepEqual(statusPatch?.body, { status: { pauseConditions: null } });
  let rollout = api.get('Rollout', NS, 'shop');
  assert.equal(rollout?.status.pauseConditions, undefined);
  assert.equal(rollout?.status.currentStepIndex, 1, 'the controller moves the step on, not the promote');

  // Paused by hand (spec.paused) and in the middle of a step without a pause condition: unpause, and move on one step.
  api.update('Rollout', NS, 'shop', (r) => {
    r.spec.paused = true;
    r.status.currentStepIndex = 2;
  });
  assert.equal((await cli(['promote', '--target', 'kubernetes', '--config', config])).code, 0);
  rollout = api.get('Rollout', NS, 'shop');
  assert.equal(rollout?.spec.paused, false);
  assert.equal(rollout?.status.currentStepIndex, 3);

  const full = await cli(['promote', '--full', '--target', 'kubernetes', '--config', config]);
  assert.equal(full.code, 0, full.stderr);
  assert.equal(api.get('Rollout', NS, 'shop')?.status.promoteFull, true);

  const abort = await cli(['abort', '--target', 'kubernetes', '--config', config]);
  assert.equal(abort.code, 0, abort.stderr);
  assert.equal(api.get('Rollout', NS, 'shop')?.status.abort, true);
  const refused = await cli(['promote', '--target', 'kubernetes', '--config', config]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /CUT_ERR_KUBE_NOT_PAUSED/);
});

test('the deploy lease: a deploy while another cutover holds it is refused with the holder named', async () => {
  const config = writeConfig('lease', 'rollout: { strategy: rolling }');
  api.onChange = () => {};
  const now = new Date().toISOString();
  api.put({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'shop-cutover-deploy', namespace: NS },
    spec: { holderIdentity: 'alice@ci-runner:4242', leaseDurationSeconds: 30, acquireTime: now, renewTime: now },
  });
  const locked = await cli(['deploy', 'v7', '--target', 'kubernetes', '--config', config]);
  assert.equal(locked.code, 4, locked.stderr);
  assert.match(locked.stderr, /CUT_ERR_DEPLOY_LOCKED[\s\S]*alice@ci-runner:4242/);
  // Expired (its cutover died): taken over, and freed at the end.
  api.update('Lease', NS, 'shop-cutover-deploy', (l) => {
    l.spec.renewTime = new Date(Date.now() - 60_000).toISOString();
  });
  api.onChange = (kind, object) => {
    if (kind !== 'Deployment' || object.status?.observedGeneration === object.metadata.generation) return;
    api.update('Deployment', NS, 'shop', (d) => {
      d.status = { observedGeneration: d.metadata.generation, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 };
    });
  };
  const taken = await cli(['deploy', 'v7', '--target', 'kubernetes', '--config', config]);
  assert.equal(taken.code, 0, taken.stderr + taken.stdout);
  const lease = api.get('Lease', NS, 'shop-cutover-deploy');
  assert.notEqual(lease?.spec.holderIdentity, 'alice@ci-runner:4242');
  assert.equal(lease?.spec.leaseDurationSeconds, 0, 'released at the end');
});

test('kubeconfig and API problems are errors that say what to do', async () => {
  const config = writeConfig('errors', 'rollout: { strategy: rolling }');
  const none = await cli(['status', '--target', 'kubernetes', '--config', config], undefined, { KUBECONFIG: join(dir, 'missing') });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /CUT_ERR_KUBE_KUBECONFIG: no kubeconfig found/);
  const withContext = join(dir, 'context.yml');
  writeFileSync(withContext, `${readFileSync(config, 'utf8')}  context: staging\n`);
  const context = await cli(['status', '--target', 'kubernetes', '--config', withContext]);
  assert.equal(context.code, 2);
  assert.match(context.stderr, /no context "staging"[\s\S]*use one of: fake/);
  const down = join(dir, 'down-kubeconfig');
  writeFileSync(down, api.kubeconfig(NS).replace(api.url, 'http://127.0.0.1:9'));
  const unreachable = await cli(['status', '--target', 'kubernetes', '--config', config], undefined, { KUBECONFIG: down });
  assert.equal(unreachable.code, 3);
  assert.match(unreachable.stderr, /CUT_ERR_KUBE_API/);
});

test('a cluster without Argo Rollouts: the apply says to install it; a controller that never answers fails the deploy', async () => {
  const config = writeConfig('no-argo', BLUE_GREEN);
  api.onChange = () => {};
  api.hiddenGroups.add('argoproj.io');
  const missing = await cli(['deploy', 'v2', '--target', 'kubernetes', '--config', config]);
  api.hiddenGroups.clear();
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(missing.stderr, /CUT_ERR_KUBE_API[\s\S]*does not serve AnalysisTemplate: install Argo Rollouts/);
  // Installed but not running: nothing ever observes the new spec (the aborted status of the tests before is cleared).
  if (api.get('Rollout', NS, 'shop'))
    api.update('Rollout', NS, 'shop', (r) => {
      r.status = {};
    });
  const silent = join(dir, 'silent.yml');
  writeFileSync(silent, `${readFileSync(config, 'utf8')}  observeTimeoutMs: 2s\n`);
  const stuck = await cli(['deploy', 'v3', '--target', 'kubernetes', '--config', silent]);
  assert.equal(stuck.code, 1, stuck.stderr + stuck.stdout);
  assert.match(stuck.stderr, /CUT_ERR_KUBE_ROLLOUT_FAILED[\s\S]*the Argo Rollouts controller did not pick up the new spec in 2 s/);
});
