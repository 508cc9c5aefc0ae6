import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseAnalysisDefinition } from '../../../src/analysis/parse-analysis-definition.ts';
import { createPrometheusProvider } from '../../../src/analysis/providers/prometheus-provider.ts';
import type { PrometheusProviderConfig } from '../../../src/config/schema-analysis.ts';
import { measureContext, scalar, startFakePrometheus, startJsonServer, vector } from '../analysis-fixtures.ts';

const TEST = { timeout: 15_000 };
const provider = createPrometheusProvider();

type Fake = Awaited<ReturnType<typeof startFakePrometheus>>;
let prom: Fake;
const ERRORS = 'sum(rate(http_requests_total{release="v2",code=~"5.."}[5m])) / sum(rate(http_requests_total{release="v2"}[5m]))';

function config(query: string, extra: Partial<PrometheusProviderConfig> = {}, address = prom.url): PrometheusProviderConfig {
  const analysis = parseAnalysisDefinition({
    metrics: [{ name: 'm', provider: { kind: 'prometheus', address, query, ...extra }, max: 1 }],
  });
  return analysis.metrics[0].provider as PrometheusProviderConfig;
}

before(async () => {
  prom = await startFakePrometheus((query) => {
    if (query === ERRORS) return { body: vector([{}, '0.052']) };
    if (query === 'lag') return { body: vector([{ partition: '0' }, '12'], [{ partition: '1' }, '340'], [{ partition: '2' }, '7']) };
    if (query === 'scalar(42)') return { body: scalar('42') };
    if (query === 'empty') return { body: vector() };
    if (query === 'nan') return { body: vector([{ pod: 'a' }, 'NaN'], [{ pod: 'b' }, 'NaN']) };
    if (query === 'nan-and-value') return { body: vector([{ pod: 'a' }, 'NaN'], [{ pod: 'b' }, '0.25']) };
    if (query === 'inf') return { body: vector([{ le: '+Inf' }, '+Inf']) };
    if (query === 'scalar-nan') return { body: scalar('NaN') };
    if (query === 'matrix') return { body: { status: 'success', data: { resultType: 'matrix', result: [] } } };
    if (query === 'garbage') return { body: vector([{}, 'twelve']) };
    if (query === 'bad') return { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'parse error at char 4' } };
    if (query === 'html') return { status: 502, body: '<html>Bad Gateway</html>' };
    if (query === 'requests-count') return { body: vector([{ pod: 'a' }, '1200'], [{ pod: 'b' }, '34']) };
    if (query === 'hang') return { hang: true };
    return { status: 400, body: { status: 'error', errorType: 'bad_data', error: `unexpected ${query}` } };
  });
});
after(() => prom.close());

describe('prometheus provider against a fake /api/v1/query', () => {
  test('fills the placeholders, sends the query URL-encoded and reads a one-series vector', TEST, async () => {
    const template =
      'sum(rate(http_requests_total{release="{{release}}",code=~"5.."}[{{window}}])) / sum(rate(http_requests_total{release="{{release}}"}[{{window}}]))';
    const result = await provider.measure(config(template), measureContext());
    assert.deepEqual(result, {
      outcome: 'value',
      query: ERRORS,
      value: 0.052,
      sampleCount: null,
      samples: [0.052],
      raw: { resultType: 'vector', seriesCount: 1, series: [{ labels: {}, value: '0.052' }] },
    });
    assert.equal(prom.queries.at(-1), ERRORS);
  });

  test('several series: refused under reduce single, folded under max, each value kept as a sample', TEST, async () => {
    const single = await provider.measure(config('lag'), measureContext());
    assert.equal(single.outcome, 'error');
    assert.match(single.outcome === 'error' ? single.reason : '', /3 series: got 3 values where one was expected/);
    const max = await provider.measure(config('lag', { reduce: 'max' }), measureContext());
    assert.equal(max.outcome === 'value' && max.value, 340);
    assert.deepEqual(max.outcome === 'value' && max.samples, [12, 340, 7]);
    const sum = await provider.measure(config('lag', { reduce: 'sum' }), measureContext());
    assert.equal(sum.outcome === 'value' && sum.value, 359);
  });

  test('a scalar is a value', TEST, async () => {
    const result = await provider.measure(config('scalar(42)'), measureContext());
    assert.equal(result.outcome === 'value' && result.value, 42);
  });

  test('an empty vector and NaN are no data; NaN series are dropped when others have values', TEST, async () => {
    const empty = await provider.measure(config('empty'), measureContext());
    assert.deepEqual(
      [empty.outcome, empty.outcome === 'no-data' && empty.reason],
      ['no-data', 'the query returned an empty vector (no series matched)'],
    );
    const nan = await provider.measure(config('nan'), measureContext());
    assert.equal(nan.outcome, 'no-data');
    const scalarNan = await provider.measure(config('scalar-nan'), measureContext());
    assert.equal(scalarNan.outcome, 'no-data');
    const mixed = await provider.measure(config('nan-and-value'), measureContext());
    assert.equal(mixed.outcome === 'value' && mixed.value, 0.25);
  });

  test('+Inf, non-numbers, range vectors, API errors and non-JSON answers are errors, never values', TEST, async () => {
    const cases: [string, RegExp][] = [
      ['inf', /is \+Inf, not a measurable value/],
      ['garbage', /has the string "twelve" as its value/],
      ['matrix', /range vector \(matrix\)/],
      ['bad', /HTTP 400 status error: bad_data: parse error at char 4/],
      ['html', /HTTP 502 with a body that is not JSON/],
    ];
    for (const [query, reason] of cases) {
      const result = await provider.measure(config(query), measureContext());
      assert.equal(result.outcome, 'error', query);
      assert.match(result.outcome === 'error' ? result.reason : '', reason, query);
    }
  });

  test('countQuery gives the number of observations behind the value', TEST, async () => {
    const result = await provider.measure(
      config(ERRORS.replaceAll('v2', '{{release}}').replaceAll('5m', '{{window}}'), { countQuery: 'requests-count' }),
      measureContext(),
    );
    assert.equal(result.outcome === 'value' && result.sampleCount, 1234);
  });

  test('a Prometheus that does not answer is an error after timeoutMs', TEST, async () => {
    const startedMs = Date.now();
    const result = await provider.measure(config('hang', { timeoutMs: 200 }), measureContext());
    assert.deepEqual([result.outcome, result.outcome === 'error' && result.reason], ['error', 'Prometheus did not answer within 200ms']);
    assert.ok(Date.now() - startedMs < 5000);
  });

  test('an unreachable Prometheus is an error naming the cause', TEST, async () => {
    const closed = await startJsonServer(() => ({}));
    await closed.close();
    const result = await provider.measure(config('up', {}, closed.url), measureContext());
    assert.equal(result.outcome, 'error');
    assert.match(result.outcome === 'error' ? result.reason : '', /could not be reached: fetch failed .*ECONNREFUSED/);
  });

  test('an address with a path prefix keeps it; label values are escaped inside quotes', TEST, async () => {
    const prefixed = await startFakePrometheus(() => ({ body: scalar('1') }));
    try {
      const result = await provider.measure(
        config('x{release="{{release}}"}', {}, `${prefixed.url}/prometheus/`),
        measureContext({ release: 'v"2' }),
      );
      assert.equal(result.outcome, 'value');
      assert.equal(prefixed.requests[0].url.split('?')[0], '/prometheus/api/v1/query');
      assert.equal(prefixed.queries[0], 'x{release="v\\"2"}');
    } finally {
      await prefixed.close();
    }
  });

  test('{{baseline}} with no baseline release is an error before any request', TEST, async () => {
    const before = prom.queries.length;
    const result = await provider.measure(config('x{release="{{baseline}}"}'), measureContext({ baselineRelease: undefined }));
    assert.equal(result.outcome, 'error');
    assert.match(result.outcome === 'error' ? result.reason : '', /uses \{\{baseline\}\} but no value was given/);
    assert.equal(prom.queries.length, before);
  });
});
