import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { isCutoverError } from '../../../src/errors/cutover-error.ts';
import { ask, json, route, startProxy, startUpstream } from './proxy-test-kit.ts';

/** A port nothing listens on: a connection to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('proxy release affinity', () => {
  test('a sticky cookie keeps each client on its release; the app cookies are kept', async (t) => {
    const { proxy, port } = await startProxy(t);
    proxy.setRoute(route('shop', { stickyCookie: 'cutover-release' }));
    for (const [id, release] of [
      ['a1', 'v1'],
      ['a2', 'v1'],
      ['b1', 'v2'],
    ] as const) {
      const upstream = await startUpstream(t, id);
      proxy.addTarget('shop', { id, release, host: '127.0.0.1', port: upstream.port });
    }
    proxy.setReleaseWeights('shop', { v1: 50, v2: 50 });
    const released = new Set<string>();
    for (let client = 0; client < 10; client++) {
      const first = await ask({ port });
      const cookies = first.headers['set-cookie'] ?? [];
      assert.deepEqual(cookies.slice(0, 2), ['a=1', 'b=2'], 'the app cookies pass through');
      const sticky = cookies.find((c) => c.startsWith('cutover-release='));
      assert.ok(sticky, `cookies: ${cookies}`);
      const release = sticky.slice('cutover-release='.length).split(';')[0];
      released.add(release);
      assert.equal(json<{ id: string }>(first).id.startsWith(release === 'v1' ? 'a' : 'b'), true);
      for (let i = 0; i < 5; i++) {
        const again = await ask({ port, headers: { cookie: `other=x; cutover-release=${release}` } });
        assert.equal(json<{ id: string }>(again).id.startsWith(release === 'v1' ? 'a' : 'b'), true);
        assert.ok(!(again.headers['set-cookie'] ?? []).some((c) => c.startsWith('cutover-release=')), 'no new cookie');
      }
    }
    assert.deepEqual([...released].sort(), ['v1', 'v2']);
    proxy.setReleaseWeights('shop', null);
    const spread = await ask({ port, headers: { cookie: 'cutover-release=v2' } });
    assert.ok(
      (spread.headers['set-cookie'] ?? []).includes('cutover-release=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax'),
      'no weights, no stickiness: the held cookie is cleared',
    );
  });

  test('no cookie while one release takes everything; clients of a canary that was aborted are moved and told', async (t) => {
    const { proxy, port } = await startProxy(t);
    proxy.setRoute(route('shop', { stickyCookie: 'cutover-release' }));
    for (const [id, release] of [
      ['stable', 'v1'],
      ['canary', 'v2'],
    ] as const) {
      const upstream = await startUpstream(t, id);
      proxy.addTarget('shop', { id, release, host: '127.0.0.1', port: upstream.port });
    }
    const sticky = (reply: { headers: { 'set-cookie'?: string[] } }) =>
      (reply.headers['set-cookie'] ?? []).find((c) => c.startsWith('cutover-release='));
    // Pinned on stable before the canary's first weight: a client then must not be pinned for the whole canary.
    proxy.setReleaseWeights('shop', { v1: 100 });
    const early = await ask({ port });
    assert.equal(json<{ id: string }>(early).id, 'stable');
    assert.equal(sticky(early), undefined, 'no split, no cookie');
    proxy.setReleaseWeights('shop', { v1: 50, v2: 50 });
    const seen = new Set<string>();
    let onCanary = '';
    for (let i = 0; i < 20 && onCanary === ''; i++) {
      const reply = await ask({ port });
      seen.add(json<{ id: string }>(reply).id);
      if (json<{ id: string }>(reply).id === 'canary') onCanary = sticky(reply) ?? '';
    }
    assert.match(onCanary, /^cutover-release=v2;/, 'the early client, without a cookie, can reach the canary');
    proxy.setReleaseWeights('shop', { v1: 100 }); // the abort
    const moved = await ask({ port, headers: { cookie: 'cutover-release=v2' } });
    assert.equal(json<{ id: string }>(moved).id, 'stable');
    assert.equal(sticky(moved), 'cutover-release=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax', 'told: its canary cookie is cleared');
  });

  test('a forced release reaches a release without a share; a retry stays inside it', async (t) => {
    const { proxy, port } = await startProxy(t);
    proxy.setRoute(route('shop', { forceReleaseHeader: 'X-Cutover-Release' }));
    const blue = await startUpstream(t, 'blue');
    const green = await startUpstream(t, 'green');
    proxy.addTarget('shop', { id: 'blue', release: 'v1', host: '127.0.0.1', port: blue.port });
    proxy.addTarget('shop', { id: 'green-dead', release: 'v2', host: '127.0.0.1', port: await closedPort() });
    proxy.addTarget('shop', { id: 'green', release: 'v2', host: '127.0.0.1', port: green.port });
    proxy.setReleaseWeights('shop', { v1: 100 });
    for (let i = 0; i < 6; i++) {
      const forced = await ask({ port, headers: { 'x-cutover-release': 'v2' } });
      assert.equal(forced.status, 200);
      assert.equal(json<{ id: string }>(forced).id, 'green', 'a refused connection is retried on the other v2 target');
    }
    const dead = proxy.targets('shop').find((target) => target.id === 'green-dead');
    assert.notEqual(dead?.ejectedUntil ?? null, null, 'the dead v2 target was tried (and ejected)');
    for (let i = 0; i < 4; i++) assert.equal(json<{ id: string }>(await ask({ port })).id, 'blue', 'others follow the weights');
    const unknown = await ask({ port, headers: { 'x-cutover-release': 'v9' } });
    assert.equal(json<{ id: string }>(unknown).id, 'blue', 'an unknown release falls back to the weights');
  });

  test('a sticky header hashes users onto releases', async (t) => {
    const { proxy, port } = await startProxy(t);
    proxy.setRoute(route('shop', { stickyHeader: 'x-user' }));
    for (const [id, release] of [
      ['a', 'v1'],
      ['b', 'v2'],
    ] as const) {
      const upstream = await startUpstream(t, id);
      proxy.addTarget('shop', { id, release, host: '127.0.0.1', port: upstream.port });
    }
    proxy.setReleaseWeights('shop', { v1: 50, v2: 50 });
    const seen = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (let user = 0; user < 20; user++) {
        const reply = await ask({ port, headers: { 'x-user': `user-${user}` } });
        const set = seen.get(`user-${user}`) ?? new Set<string>();
        set.add(json<{ id: string }>(reply).id);
        seen.set(`user-${user}`, set);
      }
    }
    assert.ok(
      [...seen.values()].every((ids) => ids.size === 1),
      'each user saw one release',
    );
    assert.equal(new Set([...seen.values()].map((ids) => [...ids][0])).size, 2, 'both releases have users');
  });

  test('a cookie or header name that is not a token is refused', async (t) => {
    const { proxy } = await startProxy(t);
    assert.throws(
      () => proxy.setRoute(route('shop', { stickyCookie: 'bad name;' })),
      (error: unknown) => isCutoverError(error) && error.code === 'CUT_ERR_AGENT_ROUTE_INVALID',
    );
    assert.throws(() => proxy.setRoute(route('shop', { forceReleaseHeader: 'x:y' })), /invalid forceReleaseHeader/);
  });
});
