import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLoadShedder, createService, type Service } from '../../src/index.ts';
import { captureLines } from '../helpers/capture-lines.ts';
import { waitFor } from '../helpers/wait-for.ts';

function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Busy wait: the point is to starve the event loop.
  }
}

const get = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(10_000) }).then(async (response) => ({
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    text: await response.text(),
  }));

function serviceWith(shedding: Parameters<typeof createService>[0]['shedding']): Service {
  const service = createService({
    name: 'shed-test',
    logDestination: captureLines(),
    shedding,
    shutdown: { handleSignals: false, delayMs: 0 },
  });
  service.app.get('/work', async () => ({ ok: true }));
  return service;
}

describe('load shedding', () => {
  test('requests queued behind an event-loop block get 503 + Retry-After; health and metrics are not shed', async () => {
    const service = serviceWith({ maxEventLoopDelayMs: 200, sampleIntervalMs: 1_000, retryAfterSeconds: 7 });
    const { url } = await service.start();
    try {
      assert.equal((await get(`${url}/work`)).status, 200);
      // Sent now, read by the server only after the block: exactly the requests that waited.
      const pending = [get(`${url}/work`), get(`${url}/health/live`), get(`${url}/health/ready`), get(`${url}/metrics`)];
      blockEventLoop(2_500);
      const [work, live, ready, metrics] = await Promise.all(pending);
      assert.equal(work.status, 503, work.text);
      assert.equal(work.retryAfter, '7');
      assert.match(work.text, /eventLoopDelay/);
      assert.equal(live.status, 200);
      assert.equal(ready.status, 200);
      assert.equal(metrics.status, 200);
      const text = await service.metrics.render();
      assert.match(text, /http_requests_shed_total\{reason="eventLoopDelay",service="shed-test"\} [1-9]/);
      await waitFor('pressure to clear', async () => ((await get(`${url}/work`)).status === 200 ? true : undefined), 10_000, 100);
    } finally {
      await service.stop();
    }
  });

  test('heap threshold sheds normal routes only', async () => {
    const service = serviceWith({ maxHeapUsedBytes: 1024 });
    const { url } = await service.start();
    try {
      const verdict = service.shedder.sample();
      assert.equal(verdict.underPressure && verdict.reason, 'heapUsed');
      const work = await get(`${url}/work`);
      assert.equal(work.status, 503);
      assert.equal(work.retryAfter, '10');
      assert.equal((await get(`${url}/health/ready`)).status, 200);
    } finally {
      await service.stop();
    }
  });

  test('all thresholds are off by default', () => {
    const shedder = createLoadShedder();
    assert.deepEqual(shedder.sample(), { underPressure: false });
    shedder.stop();
  });
});
