import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPrometheusText } from '../../../src/agent/proxy/prometheus-text.ts';
import { ReleaseCounters } from '../../../src/agent/proxy/release-counters.ts';

test('counters, histogram, weights and pool of each release, in the text format', () => {
  const v1 = new ReleaseCounters(10);
  v1.record(200, 3, 1000, false);
  v1.record(503, 700, 1001, true);
  v1.record(504, 2000, 1002, true, true);
  const text = buildPrometheusText([
    {
      service: 'shop "eu"',
      counters: { v1: v1.snapshot() },
      weights: { v1: 90, v2: 10 },
      targets: [
        { id: 'a', release: 'v1', healthy: true, draining: false, inFlight: 2, websockets: 0, requests: 2, ejectedUntil: null },
        { id: 'b', release: 'v2', healthy: false, draining: false, inFlight: 0, websockets: 0, requests: 0, ejectedUntil: null },
      ],
    },
  ]);
  const s = 'service="shop \\"eu\\"",release="v1"';
  const buckets = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000].map(
    (ms) => `cutover_proxy_request_duration_seconds_bucket{${s},le="${ms / 1000}"} ${ms < 5 ? 0 : ms < 1000 ? 1 : ms < 2500 ? 2 : 3}`,
  );
  const expected = [
    '# HELP cutover_proxy_requests_total Requests answered through the proxy, by status class.',
    '# TYPE cutover_proxy_requests_total counter',
    ...['1xx', '2xx', '3xx', '4xx', '5xx'].map(
      (code) => `cutover_proxy_requests_total{${s},code="${code}"} ${code === '2xx' ? 1 : code === '5xx' ? 2 : 0}`,
    ),
    '# HELP cutover_proxy_generated_errors_total Answers the proxy generated itself (502, 503, 504).',
    '# TYPE cutover_proxy_generated_errors_total counter',
    `cutover_proxy_generated_errors_total{${s}} 2`,
    '# HELP cutover_proxy_upstream_timeouts_total Requests answered 504 because an instance was silent past a timeout.',
    '# TYPE cutover_proxy_upstream_timeouts_total counter',
    `cutover_proxy_upstream_timeouts_total{${s}} 1`,
    '# HELP cutover_proxy_request_duration_seconds Time from a request to the end of its answer.',
    '# TYPE cutover_proxy_request_duration_seconds histogram',
    ...buckets,
    `cutover_proxy_request_duration_seconds_bucket{${s},le="+Inf"} 3`,
    `cutover_proxy_request_duration_seconds_sum{${s}} 2.703`,
    `cutover_proxy_request_duration_seconds_count{${s}} 3`,
    '# HELP cutover_proxy_release_weight Share of new requests per release in percent, while weights are set.',
    '# TYPE cutover_proxy_release_weight gauge',
    'cutover_proxy_release_weight{service="shop \\"eu\\"",release="v1"} 90',
    'cutover_proxy_release_weight{service="shop \\"eu\\"",release="v2"} 10',
    '# HELP cutover_proxy_targets Instances in the proxy pool, by state.',
    '# TYPE cutover_proxy_targets gauge',
    `cutover_proxy_targets{${s},state="serving"} 1`,
    `cutover_proxy_targets{${s},state="unhealthy"} 0`,
    `cutover_proxy_targets{${s},state="draining"} 0`,
    'cutover_proxy_targets{service="shop \\"eu\\"",release="v2",state="serving"} 0',
    'cutover_proxy_targets{service="shop \\"eu\\"",release="v2",state="unhealthy"} 1',
    'cutover_proxy_targets{service="shop \\"eu\\"",release="v2",state="draining"} 0',
    '# HELP cutover_proxy_in_flight_requests Requests being answered right now.',
    '# TYPE cutover_proxy_in_flight_requests gauge',
    `cutover_proxy_in_flight_requests{${s}} 2`,
    'cutover_proxy_in_flight_requests{service="shop \\"eu\\"",release="v2"} 0',
    '',
  ].join('\n');
  assert.equal(text, expected);
});

test('nothing routed: an empty exposition', () => {
  assert.equal(buildPrometheusText([]), '');
});
