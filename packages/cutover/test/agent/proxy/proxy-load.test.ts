import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { ask, route, startProxy, startUpstream, type Upstream, within } from './proxy-test-kit.ts';

const TOTAL_REQUESTS = 2000;
const WORKERS = 16;
const SWAPS = 6;

test('swapping targets under load: 0 errors and 0 non-2xx', { timeout: 120_000 }, async (t) => {
  const { proxy, port } = await startProxy(t);
  proxy.setRoute(route('svc', { drainTimeoutMs: 10_000 }));
  const live: Upstream[] = [];
  const retired: Upstream[] = [];
  let generation = 0;
  const addTarget = async (): Promise<void> => {
    const id = `gen-${generation++}`;
    const upstream = await startUpstream(t, id);
    live.push(upstream);
    proxy.addTarget('svc', { id, release: `r${generation}`, host: '127.0.0.1', port: upstream.port });
  };
  await addTarget();
  await addTarget();

  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const failures: string[] = [];
  let sent = 0;
  let done = 0;
  const worker = async (index: number): Promise<void> => {
    while (sent < TOTAL_REQUESTS) {
      const n = sent++;
      const post = n % 5 === 0;
      try {
        const reply = await ask({
          port,
          // Some requests take a while so that drains have something in flight.
          path: n % 7 === 0 ? `/slow?ms=${20 + (n % 40)}` : `/fast/${n}`,
          method: post ? 'POST' : 'GET',
          body: post ? `payload-${n}` : undefined,
          agent: index % 2 === 0 ? keepAlive : false,
        });
        if (reply.status !== 200) failures.push(`#${n} status ${reply.status}: ${reply.body.trim()}`);
        else if (post && !reply.body.includes(`payload-${n}`)) failures.push(`#${n} body lost`);
      } catch (error) {
        failures.push(`#${n} ${(error as Error).message}`);
      }
      done++;
    }
  };

  const swaps: { drainedMs: number; inFlightAtStart: number; cancelled: number }[] = [];
  const swapper = async (): Promise<void> => {
    for (let i = 0; i < SWAPS && done < TOTAL_REQUESTS; i++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      await addTarget();
      const old = live.shift()!;
      const report = await proxy.removeTarget('svc', old.id);
      swaps.push(report);
      // What the supervisor does next: stop the old process.
      await old.close();
      retired.push(old);
    }
  };

  try {
    await within(Promise.all([...Array.from({ length: WORKERS }, (_, i) => worker(i)), swapper()]), 100_000, 'load run');
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failed requests`);
    assert.equal(done, TOTAL_REQUESTS);
    assert.ok(swaps.length >= 3, `only ${swaps.length} swaps happened during the load`);
    assert.ok(
      swaps.every((s) => s.cancelled === 0),
      'no drain had to cancel requests',
    );
    const counters = Object.values(proxy.counters('svc'));
    assert.equal(
      counters.reduce((sum, c) => sum + c.requests, 0),
      TOTAL_REQUESTS,
    );
    assert.equal(
      counters.reduce((sum, c) => sum + c.byStatusClass['2xx'], 0),
      TOTAL_REQUESTS,
    );
    assert.equal(
      [...live, ...retired].reduce((sum, u) => sum + u.requests.length, 0),
      TOTAL_REQUESTS,
      'every request reached exactly one app',
    );
  } finally {
    keepAlive.destroy();
  }
});
