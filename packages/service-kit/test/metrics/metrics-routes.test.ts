import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createService, type Service } from '../../src/index.ts';
import { captureLines } from '../helpers/capture-lines.ts';

describe('/metrics', () => {
  let service: Service;
  let base: string;

  before(async () => {
    service = createService({ name: 'metrics-test', logDestination: captureLines(), shutdown: { handleSignals: false, delayMs: 0 } });
    const captures = service.metrics.counter('payments_captured_total', 'Payments captured', ['currency']);
    service.app.get('/payments/:id', async (request) => ({ id: (request.params as { id: string }).id }));
    service.app.post('/payments/:id/capture', async () => {
      captures.inc({ currency: 'EUR' });
      return { captured: true };
    });
    ({ url: base } = await service.start());
  });
  after(() => service.stop());

  const scrape = async () => {
    const response = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    return response.text();
  };

  test('request count and duration are labelled by route template, not raw URL', async () => {
    for (const id of ['a1', 'b2', 'c3']) assert.equal((await fetch(`${base}/payments/${id}`)).status, 200);
    await fetch(`${base}/payments/a1/capture`, { method: 'POST' });
    await fetch(`${base}/nowhere/42`);
    const text = await scrape();
    assert.match(text, /http_requests_total\{method="GET",route="\/payments\/:id",status_code="200",service="metrics-test"\} 3/);
    assert.match(text, /http_requests_total\{method="POST",route="\/payments\/:id\/capture",status_code="200",service="metrics-test"\} 1/);
    assert.match(text, /http_requests_total\{method="GET",route="<unmatched>",status_code="404",service="metrics-test"\} 1/);
    assert.match(
      text,
      /http_request_duration_seconds_bucket\{le="0\.075",service="metrics-test",method="GET",route="\/payments\/:id",status_code="200"\} \d/,
    );
    assert.match(
      text,
      /http_request_duration_seconds_count\{service="metrics-test",method="GET",route="\/payments\/:id",status_code="200"\} 3/,
    );
    assert.doesNotMatch(text, /route="\/payments\/a1"/);
  });

  test('default process metrics and service-registered metrics are exposed', async () => {
    const text = await scrape();
    assert.match(text, /process_cpu_user_seconds_total\{service="metrics-test"\}/);
    assert.match(text, /nodejs_eventloop_lag_seconds\{service="metrics-test"\}/);
    assert.match(text, /payments_captured_total\{currency="EUR",service="metrics-test"\} 1/);
    assert.match(text, /# TYPE http_requests_shed_total counter/);
  });
});
