import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MeasurementValue } from '../../../src/analysis/metric-provider.ts';
import { parseAnalysisDefinition } from '../../../src/analysis/parse-analysis-definition.ts';
import { createCommandProvider } from '../../../src/analysis/providers/command-provider.ts';
import { createHttpProvider } from '../../../src/analysis/providers/http-provider.ts';
import { createPrometheusProvider } from '../../../src/analysis/providers/prometheus-provider.ts';
import { createProxyProvider, type ProxySample } from '../../../src/analysis/providers/proxy-provider.ts';
import type { MetricProviderConfig } from '../../../src/config/schema-analysis.ts';
import { type JsonServer, measureContext, scalar, startFakePrometheus, startJsonServer, vector } from '../analysis-fixtures.ts';

// One suite every provider passes: whatever the source answers, the outcome is a finite value, no
// data, or an error, never a non-finite number, and a broken source is an error.

type Scenario = 'value' | 'nan' | 'inf' | 'empty' | 'garbage' | 'down';
const SCENARIOS: Scenario[] = ['value', 'nan', 'inf', 'empty', 'garbage', 'down'];
const TEST = { timeout: 20_000 };
const ctx = measureContext({ nowMs: 1_700_000_000_000 });

/** The source answers like this in each scenario ('down': cannot be asked at all). */
interface Adapter {
  measure(scenario: Scenario): Promise<MeasurementValue>;
}

function providerConfig(provider: Record<string, unknown>): MetricProviderConfig {
  return parseAnalysisDefinition({ metrics: [{ name: 'm', provider, max: 1 }] }).metrics[0].provider;
}

let prometheus: JsonServer & { queries: string[] };
let http: JsonServer;
const closedUrl = 'http://127.0.0.1:9';

before(async () => {
  const prom: Record<Scenario, unknown> = {
    value: vector([{}, '0.25']),
    nan: scalar('NaN'),
    inf: vector([{}, '+Inf']),
    empty: vector(),
    garbage: { status: 'success', data: { resultType: 'string', result: [1, 'x'] } },
    down: null,
  };
  prometheus = await startFakePrometheus((query) => ({ body: prom[query as Scenario] }));
  const bodies: Record<Scenario, unknown> = { value: 0.25, nan: 'NaN', inf: '+Inf', empty: [], garbage: 'a lot', down: null };
  http = await startJsonServer((request) => ({ body: { v: bodies[request.url.slice(1) as Scenario] } }));
});
after(async () => {
  await prometheus.close();
  await http.close();
});

const adapters: Record<MetricProviderConfig['kind'], Adapter> = {
  prometheus: {
    measure: (scenario) =>
      createPrometheusProvider().measure(
        providerConfig({ kind: 'prometheus', address: scenario === 'down' ? closedUrl : prometheus.url, query: scenario }) as never,
        ctx,
      ),
  },
  http: {
    measure: (scenario) =>
      createHttpProvider().measure(
        providerConfig({ kind: 'http', url: `${scenario === 'down' ? closedUrl : http.url}/${scenario}`, jsonPath: '$.v' }) as never,
        ctx,
      ),
  },
  command: {
    measure: (scenario) => {
      const output: Record<Scenario, string> = {
        value: 'echo 0.25',
        nan: 'echo NaN',
        inf: 'echo +Inf',
        empty: 'true',
        garbage: 'echo lots',
        down: 'exit 127',
      };
      return createCommandProvider().measure(providerConfig({ kind: 'command', command: output[scenario] }) as never, ctx);
    },
  },
  proxy: {
    measure: (scenario) => {
      const at = ctx.nowMs - 1000;
      const samples: Record<Scenario, ProxySample[]> = {
        value: [500, 200, 200, 200].map((status) => ({ atMs: at, latencyMs: 5, status })),
        nan: [{ atMs: at, latencyMs: Number.NaN, status: 200 }],
        inf: [{ atMs: at, latencyMs: Number.POSITIVE_INFINITY, status: 200 }],
        empty: [],
        garbage: [{ atMs: Number.NaN, latencyMs: 5, status: 200 }],
        down: [],
      };
      const provider = createProxyProvider(async () => {
        if (scenario === 'down') throw new Error('connection refused');
        return { counters: null, samples: samples[scenario] };
      });
      return provider.measure({ kind: 'proxy', metric: 'error-rate' }, ctx);
    },
  },
};

for (const [kind, adapter] of Object.entries(adapters)) {
  describe(`MetricProvider conformance: ${kind}`, () => {
    for (const scenario of SCENARIOS) {
      test(`source answers ${scenario}`, TEST, async () => {
        const result = await adapter.measure(scenario);
        assert.ok(result.query.length > 0, 'names what it ran');
        if (result.outcome === 'value') assert.ok(Number.isFinite(result.value), 'a value is always finite');
        else assert.ok(result.reason.length > 0, 'says why there is no value');
        const allowed: Record<Scenario, MeasurementValue['outcome'][]> = {
          value: ['value'],
          nan: ['no-data'],
          inf: ['error', 'no-data'],
          empty: ['no-data'],
          garbage: ['error', 'no-data'],
          down: ['error'],
        };
        assert.ok(allowed[scenario].includes(result.outcome), `${scenario} gave ${result.outcome}`);
        if (result.outcome === 'value') assert.equal(result.value, 0.25);
      });
    }
  });
}
