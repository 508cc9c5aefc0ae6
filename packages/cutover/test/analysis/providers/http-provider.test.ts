import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseAnalysisDefinition } from '../../../src/analysis/parse-analysis-definition.ts';
import { createHttpProvider } from '../../../src/analysis/providers/http-provider.ts';
import type { HttpProviderConfig } from '../../../src/config/schema-analysis.ts';
import { type JsonServer, measureContext, startJsonServer } from '../analysis-fixtures.ts';

const TEST = { timeout: 15_000 };
const provider = createHttpProvider();
let server: JsonServer;

const BODIES: Record<string, unknown> = {
  '/value': { data: { value: 0.004 } },
  '/items': { items: [{ x: 17.5 }, { x: 3 }] },
  '/string': { data: { value: '0.5' } },
  '/null': { data: { value: null } },
  '/nan': { data: { value: 'NaN' } },
  '/inf': { data: { value: '+Inf' } },
  '/object': { data: { value: { nested: 1 } } },
  '/bool': { data: { value: true } },
  '/list': { data: { value: [120, 80, null, 95] } },
  '/empty-list': { data: { value: [] } },
  '/counted': { data: { value: 0.01, count: 523 } },
  '/bad-count': { data: { value: 0.01, count: 'lots' } },
};

function config(url: string, extra: Partial<HttpProviderConfig> = {}): HttpProviderConfig {
  const analysis = parseAnalysisDefinition({
    metrics: [{ name: 'm', provider: { kind: 'http', url, jsonPath: '$.data.value', ...extra }, max: 1 }],
  });
  return analysis.metrics[0].provider as HttpProviderConfig;
}

async function measure(path: string, extra: Partial<HttpProviderConfig> = {}) {
  return provider.measure(config(`${server.url}${path}`, extra), measureContext());
}

before(async () => {
  server = await startJsonServer((request) => {
    const path = request.url.split('?')[0];
    if (path === '/status-503') return { status: 503, body: { error: 'down' } };
    if (path === '/not-json') return { body: 'value=3' };
    if (path === '/hang') return { hang: true };
    if (path === '/echo') return { body: { data: { value: Number(JSON.parse(request.body).n) } } };
    return { body: BODIES[path] ?? {} };
  });
});
after(() => server.close());

describe('http provider against a real JSON endpoint', () => {
  test('picks $.data.value and records the rendered request as the query', TEST, async () => {
    const result = await measure('/value');
    assert.deepEqual(result, {
      outcome: 'value',
      query: `GET ${server.url}/value $.data.value`,
      value: 0.004,
      sampleCount: null,
      raw: { value: 0.004 },
    });
  });

  test('picks $.items[0].x and numeric strings', TEST, async () => {
    const items = await measure('/items', { jsonPath: '$.items[0].x' });
    assert.equal(items.outcome === 'value' && items.value, 17.5);
    const text = await measure('/string');
    assert.equal(text.outcome === 'value' && text.value, 0.5);
  });

  test('fills placeholders URL-encoded in the URL', TEST, async () => {
    await provider.measure(
      config(`${server.url}/value?release={{release}}&svc={{service}}&w={{window}}`),
      measureContext({ release: 'v2 beta&x' }),
    );
    assert.equal(server.requests.at(-1)?.url, '/value?release=v2%20beta%26x&svc=compliance&w=5m');
  });

  test('null and NaN are no data; +Inf, objects, booleans and a missing path are errors', TEST, async () => {
    assert.equal((await measure('/null')).outcome, 'no-data');
    assert.equal((await measure('/nan')).outcome, 'no-data');
    for (const path of ['/inf', '/object', '/bool', '/value-missing']) {
      assert.equal((await measure(path)).outcome, 'error', path);
    }
    const missing = await measure('/value', { jsonPath: '$.data.other' });
    assert.deepEqual([missing.outcome, missing.outcome === 'error' && missing.reason], ['error', '$.data.other is not in the answer']);
  });

  test('an array is reduced and kept as samples (nulls dropped); an empty one is no data', TEST, async () => {
    const list = await measure('/list', { reduce: 'avg' });
    assert.equal(list.outcome === 'value' && list.value, (120 + 80 + 95) / 3);
    assert.deepEqual(list.outcome === 'value' && list.samples, [120, 80, 95]);
    assert.equal((await measure('/list')).outcome, 'error', 'reduce single refuses several values');
    assert.equal((await measure('/empty-list')).outcome, 'no-data');
  });

  test('countPath gives the sample count; a count that is not a number is an error', TEST, async () => {
    const counted = await measure('/counted', { countPath: '$.data.count' });
    assert.equal(counted.outcome === 'value' && counted.sampleCount, 523);
    assert.equal((await measure('/bad-count', { countPath: '$.data.count' })).outcome, 'error');
  });

  test('non-2xx, a body that is not JSON, and no answer within timeoutMs are errors', TEST, async () => {
    const down = await measure('/status-503');
    assert.deepEqual([down.outcome, down.outcome === 'error' && down.reason], ['error', 'answered HTTP 503']);
    const notJson = await measure('/not-json');
    assert.deepEqual([notJson.outcome, notJson.raw], ['error', { status: 200, body: 'value=3' }]);
    const startedMs = Date.now();
    const hang = await measure('/hang', { timeoutMs: 200 });
    assert.deepEqual([hang.outcome, hang.outcome === 'error' && hang.reason], ['error', 'no answer within 200ms']);
    assert.ok(Date.now() - startedMs < 5000);
  });

  test('POST sends the templated body and the configured headers', TEST, async () => {
    const result = await measure('/echo', { method: 'POST', body: '{"release":"{{release}}","n":7}', headers: { 'x-token': 'abc' } });
    assert.equal(result.outcome === 'value' && result.value, 7);
    const seen = server.requests.at(-1);
    assert.equal(seen?.method, 'POST');
    assert.equal(seen?.body, '{"release":"v2","n":7}');
    assert.equal(seen?.headers['x-token'], 'abc');
  });
});
