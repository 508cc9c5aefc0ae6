import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAnalysisDefinition } from '../../src/analysis/parse-analysis-definition.ts';
import { type AnalysisDefinitionInput, analysisSchema } from '../../src/config/schema-analysis.ts';
import { CutoverError } from '../../src/errors/cutover-error.ts';

const errorRate = { name: 'error-rate', provider: { kind: 'proxy', metric: 'error-rate' }, max: 0.01 } as const;

function problems(input: unknown): string[] {
  try {
    parseAnalysisDefinition(input);
  } catch (error) {
    assert.ok(error instanceof CutoverError);
    assert.equal(error.code, 'CUT_ERR_ANALYSIS_INVALID');
    return error.details.problems as string[];
  }
  assert.fail('the definition was accepted');
}

describe('analysisSchema', () => {
  test('fills every default of a minimal metric', () => {
    const parsed = parseAnalysisDefinition({ metrics: [errorRate] });
    assert.deepEqual(parsed.metrics[0], {
      name: 'error-rate',
      provider: { kind: 'proxy', metric: 'error-rate' },
      intervalMs: 30_000,
      count: 1,
      initialDelayMs: 0,
      max: 0.01,
      baselineFloor: 0,
      onNoData: 'inconclusive',
      maxExtensions: 3,
      failureLimit: 0,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 4,
      errorRetryIntervalMs: 10_000,
      dryRun: false,
      windowMs: 30_000,
    });
    assert.ok(Object.isFrozen(parsed.metrics[0].provider));
  });

  test('parses durations, keeps an explicit window and accepts count until-stopped', () => {
    const parsed = parseAnalysisDefinition({
      metrics: [{ ...errorRate, intervalMs: '1m', windowMs: '5m', initialDelayMs: '30s', count: 'until-stopped' }],
    });
    assert.equal(parsed.metrics[0].intervalMs, 60_000);
    assert.equal(parsed.metrics[0].windowMs, 300_000);
    assert.equal(parsed.metrics[0].initialDelayMs, 30_000);
    assert.equal(parsed.metrics[0].count, 'until-stopped');
  });

  test('parsing a parsed definition gives the same definition', () => {
    const once = analysisSchema.parse({
      prometheus: { address: 'http://127.0.0.1:9090' },
      metrics: [errorRate, { name: 'lag', provider: { kind: 'prometheus', query: 'max(lag{release="{{release}}"})' }, max: 100 }],
    });
    assert.deepEqual(analysisSchema.parse(once), once);
  });

  test('refuses a metric with no conditions instead of letting it pass anything', () => {
    const found = problems({ metrics: [{ name: 'p99', provider: { kind: 'proxy', metric: 'latency-p99' } }] });
    assert.equal(found.length, 1);
    assert.match(found[0], /^analysis\.metrics\[0\]: has no conditions/);
  });

  test('refuses unknown placeholders, bad JSON paths and non-http URLs, each with its path', () => {
    const found = problems({
      metrics: [
        { name: 'a', provider: { kind: 'prometheus', address: 'http://p:9090', query: 'x{release="{{relase}}"}' }, max: 1 },
        { name: 'b', provider: { kind: 'http', url: 'http://h/m', jsonPath: 'data.value' }, max: 1 },
        { name: 'c', provider: { kind: 'http', url: 'ftp://h/m', jsonPath: '$.v' }, max: 1 },
        { name: 'd', provider: { kind: 'command', command: ['echo', '{{nope}}'] }, max: 1 },
      ],
    });
    assert.deepEqual(
      found.map((line) => line.split(':')[0]),
      [
        'analysis.metrics[0].provider.query',
        'analysis.metrics[1].provider.jsonPath',
        'analysis.metrics[2].provider.url',
        'analysis.metrics[3].provider.command[1]',
      ],
    );
    assert.match(found[0], /unknown placeholder \{\{relase\}\}/);
  });

  test('refuses a Mann-Whitney test without an effect-size floor, or on a proxy rate', () => {
    const noFloor = problems({
      metrics: [{ name: 'p', provider: { kind: 'proxy', metric: 'latency-p50' }, mannWhitney: { alpha: 0.05 } }],
    });
    assert.match(noFloor[0], /mannWhitney: needs minEffect/);
    const onRate = problems({ metrics: [{ ...errorRate, mannWhitney: { minEffect: 1 } }] });
    assert.match(onRate[0], /mannWhitney: needs per-request samples/);
  });

  test('refuses minSamples where the provider cannot count observations', () => {
    const prometheus = { kind: 'prometheus', address: 'http://p:9090', query: 'up' } as const;
    const found = problems({ metrics: [{ name: 'x', provider: prometheus, max: 1, minSamples: 50 }] });
    assert.match(found[0], /minSamples: needs provider\.countQuery/);
    const ok = parseAnalysisDefinition({
      metrics: [{ name: 'x', provider: { ...prometheus, countQuery: 'sum(requests)' }, max: 1, minSamples: 50 }],
    });
    assert.equal(ok.metrics[0].minSamples, 50);
  });

  test('refuses inverted thresholds, duplicate names, zero intervals and an analysis of dryRun metrics only', () => {
    assert.match(problems({ metrics: [{ ...errorRate, min: 0.5, max: 0.1 }] })[0], /min: must not be above max/);
    assert.match(problems({ metrics: [errorRate, errorRate] })[0], /metrics\[1\]\.name: error-rate is used twice/);
    assert.match(problems({ metrics: [{ ...errorRate, intervalMs: 0 }] })[0], /intervalMs: must be longer than 0/);
    assert.match(problems({ metrics: [{ ...errorRate, count: 0 }] })[0], /metrics\[0\]\.count/);
    assert.match(problems({ metrics: [{ ...errorRate, dryRun: true }] })[0], /are all dryRun/);
    assert.match(problems({ metrics: [] })[0], /needs at least one metric/);
  });

  test('prometheus metrics take address, headers and timeout from the analysis, or must name an address', () => {
    const input: AnalysisDefinitionInput = {
      prometheus: { address: 'http://prom:9090', headers: { authorization: 'Bearer t' }, timeoutMs: '3s' },
      metrics: [{ name: 'lag', provider: { kind: 'prometheus', query: 'max(lag)', headers: { 'x-scope': 'a' } }, max: 100 }],
    };
    const provider = parseAnalysisDefinition(input).metrics[0].provider;
    assert.deepEqual(provider, {
      kind: 'prometheus',
      query: 'max(lag)',
      reduce: 'single',
      address: 'http://prom:9090',
      headers: { authorization: 'Bearer t', 'x-scope': 'a' },
      timeoutMs: 3000,
    });
    const found = problems({ metrics: [{ name: 'lag', provider: { kind: 'prometheus', query: 'max(lag)' }, max: 100 }] });
    assert.match(found[0], /metrics\[0\]\.provider\.address: is required/);
  });
});
