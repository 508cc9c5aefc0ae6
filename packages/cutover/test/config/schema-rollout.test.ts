import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ConfigProblem, parseConfigText } from '../../src/config/load-config.ts';
import { rollbackRollout, rolloutStrategySchema } from '../../src/config/schema-rollout.ts';
import { CutoverError } from '../../src/errors/cutover-error.ts';

const BASE = 'service: shop\nprocesses:\n  web: { command: node server.js, instances: 4 }\n';

function parse(text: string) {
  return parseConfigText(BASE + text, '/srv/shop/cutover.yml').config;
}

function problemsOf(text: string): string[] {
  try {
    parse(text);
  } catch (error) {
    assert.ok(error instanceof CutoverError);
    return (error.details.problems as ConfigProblem[]).map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected the config to be rejected');
}

const ERROR_RATE = `{ name: errors, provider: { kind: proxy, metric: error-rate }, max: 0.01 }`;

describe('rollout strategies in cutover.yml', () => {
  test('canary: steps in order with durations parsed, defaults filled in', () => {
    const { rollout } = parse(`rollout:
  strategy: canary
  steps:
    - setWeight: 5
    - pause: { durationMs: 2m }
    - analysis: { metrics: [${ERROR_RATE}] }
    - setWeight: 25
    - pause: {}
  backgroundAnalysis:
    metrics: [{ name: p99, provider: { kind: proxy, metric: latency-p99 }, max: 500, count: until-stopped }]
`);
    assert.equal(rollout.strategy, 'canary');
    if (rollout.strategy !== 'canary') return;
    assert.equal(rollout.canaryInstances, 1);
    assert.equal(rollout.onInconclusive, 'pause');
    assert.equal(rollout.scaleDownDelayMs, 0);
    assert.equal(rollout.healthTimeoutMs, 60_000);
    assert.deepEqual(rollout.steps[0], { setWeight: 5 });
    assert.deepEqual(rollout.steps[1], { pause: { durationMs: 120_000 } });
    assert.deepEqual(rollout.steps[4], { pause: {} });
    const analysis = rollout.steps[2];
    assert.ok('analysis' in analysis);
    assert.equal(analysis.analysis.metrics[0].onNoData, 'inconclusive');
    assert.equal(rollout.backgroundAnalysis?.metrics[0].count, 'until-stopped');
  });

  test('blue-green: smoke checks and analyses, 30 s keep-warm by default', () => {
    const { rollout } = parse(`rollout:
  strategy: blueGreen
  autoPromote: false
  smokeChecks:
    - { path: /health, headers: { x-smoke: '1' }, expectStatus: [200], bodyIncludes: ok, attempts: 3 }
  postPromotionAnalysis: { metrics: [${ERROR_RATE}] }
  onInconclusive: abort
`);
    assert.equal(rollout.strategy, 'blueGreen');
    if (rollout.strategy !== 'blueGreen') return;
    assert.equal(rollout.scaleDownDelayMs, 30_000);
    assert.equal(rollout.autoPromote, false);
    assert.deepEqual(rollout.smokeChecks[0], {
      method: 'GET',
      path: '/health',
      headers: { 'x-smoke': '1' },
      expectStatus: [200],
      bodyIncludes: 'ok',
      timeoutMs: 5000,
      attempts: 3,
      retryDelayMs: 1000,
    });
    assert.equal(rollout.prePromotionAnalysis, undefined);
    assert.equal(rollout.postPromotionAnalysis?.metrics[0].name, 'errors');
  });

  test('rejected: weights out of range, unknown step kinds, blocking analyses that never end, metrics without conditions', () => {
    assert.ok(problemsOf('rollout: { strategy: canary, steps: [{ setWeight: 120 }] }\n').some((p) => p.startsWith('rollout.steps[0]')));
    assert.deepEqual(problemsOf('rollout: { strategy: canary, steps: [{ setweight: 20 }] }\n'), [
      'rollout.steps[0]: must be one of { setWeight: <0-100> }, { pause: { durationMs: <duration> } }, { pause: {} } or { analysis: { metrics: [...] } }',
    ]);
    assert.deepEqual(problemsOf('rollout: { strategy: canary, steps: [{ pause: { durationMs: 5x } }] }\n'), [
      'rollout.steps[0].pause.durationMs: must be a duration such as 500ms, 30s, 2m, 1h or a number of milliseconds (got "5x")',
    ]);
    const forever = problemsOf(`rollout:
  strategy: canary
  steps:
    - analysis: { metrics: [{ name: p99, provider: { kind: proxy, metric: latency-p99 }, max: 500, count: until-stopped }] }
`);
    assert.ok(
      forever.some((p) => /until-stopped never ends/.test(p)),
      forever.join('\n'),
    );
    const bare = problemsOf(`rollout:
  strategy: blueGreen
  prePromotionAnalysis: { metrics: [{ name: p99, provider: { kind: proxy, metric: latency-p99 } }] }
`);
    assert.ok(
      bare.some((p) => /has no conditions/.test(p)),
      bare.join('\n'),
    );
    assert.ok(problemsOf('rollout: { strategy: blueGreen, smokeChecks: [{ path: health }] }\n').length > 0);
    assert.ok(problemsOf('rollout: { strategy: canary, onInconclusive: wait }\n').length > 0);
  });

  test('proxy affinity and the metrics port', () => {
    const config = parse(
      'proxy: { sticky: { cookie: cutover-release }, forceReleaseHeader: x-cutover-release }\nagent: { metricsPort: 9464 }\n',
    );
    assert.deepEqual(config.proxy.sticky, { cookie: 'cutover-release' });
    assert.equal(config.proxy.forceReleaseHeader, 'x-cutover-release');
    assert.equal(config.agent.metricsPort, 9464);
    assert.deepEqual(parse('proxy: { sticky: { header: x-user-id } }\n').proxy.sticky, { header: 'x-user-id' });
    assert.ok(problemsOf('proxy: { sticky: { cookie: "bad cookie" } }\n').length > 0);
    assert.ok(problemsOf('proxy: { sticky: { cookie: a, header: b } }\n').length > 0);
  });
});

test('a rollback moves by the rolling switch: no canary steps or analysis, the configured health wait kept', () => {
  const canary = rolloutStrategySchema.parse({ strategy: 'canary', healthTimeoutMs: '7s', steps: [{ setWeight: 10 }, { pause: {} }] });
  assert.deepEqual(rollbackRollout(canary), rolloutStrategySchema.parse({ strategy: 'rolling', healthTimeoutMs: 7000 }));
  const rolling = rolloutStrategySchema.parse({ strategy: 'rolling', batchSize: 2 });
  assert.equal(rollbackRollout(rolling), rolling);
});
