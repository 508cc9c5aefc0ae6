import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseHaproxyVersion } from '../../../src/agent/haproxy/haproxy-binary.ts';
import {
  orderCommands,
  parseLogLine,
  parseServerStats,
  runtimeRefusal,
  slotCommands,
  slotWeights,
} from '../../../src/agent/haproxy/haproxy-commands.ts';
import { slotIndex, slotName } from '../../../src/agent/haproxy/haproxy-names.ts';

describe('slotWeights', () => {
  test('without release weights every eligible slot weighs 1 and the others 0', () => {
    assert.deepEqual(
      slotWeights(
        [
          { release: 'v1', eligible: true },
          { release: 'v1', eligible: false },
          { release: 'v2', eligible: true },
        ],
        null,
      ),
      [1, 0, 1],
    );
  });

  test("a release's share is split over its eligible slots", () => {
    // v1 90 over 3 slots (30 each), v2 10 over 1 slot: 3 and 1.
    const weights = slotWeights(
      [
        { release: 'v1', eligible: true },
        { release: 'v1', eligible: true },
        { release: 'v1', eligible: true },
        { release: 'v2', eligible: true },
        { release: 'v3', eligible: true },
      ],
      { v1: 90, v2: 10 },
    );
    assert.deepEqual(weights, [3, 3, 3, 1, 0]);
    // Shares that are not whole (v2: 7.5 per slot) are scaled so that the largest is HAProxy's maximum: 256, and
    // v2's total 2 * 256 * 7.5 / 90 = 42.7 → 43 dealt over its two slots.
    assert.deepEqual(
      slotWeights(
        [
          { release: 'v1', eligible: true },
          { release: 'v2', eligible: true },
          { release: 'v2', eligible: true },
        ],
        { v1: 90, v2: 15 },
      ),
      [256, 22, 21],
    );
    const v1 = weights[0] * 3;
    assert.ok(Math.abs(v1 / (v1 + weights[3]) - 0.9) < 0.01);
  });

  test('a light release over many slots keeps its share: some of its slots at 0 rather than each rounded up to 1', () => {
    const slots = [...Array.from({ length: 64 }, () => ({ release: 'v1', eligible: true })), { release: 'v2', eligible: true }];
    const weights = slotWeights(slots, { v1: 5, v2: 95 });
    assert.ok(weights.every((w) => Number.isInteger(w) && w >= 0 && w <= 256));
    assert.equal(weights[64], 256);
    const v1 = weights.slice(0, 64).reduce((a, b) => a + b, 0);
    assert.equal(v1, 13, '64 × 256 × (5 / 64) / 95 = 13.47 → 13');
    assert.ok(Math.abs(v1 / (v1 + 256) - 0.05) < 0.005, `v1 gets ${v1 / (v1 + 256)}`);
    // 1 % over five slots beside 99 % on one: v1's total 5 × 256 × 0.2 / 99 = 2.6 → 3, three slots at 1 and two at 0.
    const dealt = slotWeights(
      [...Array.from({ length: 5 }, () => ({ release: 'v1', eligible: true })), { release: 'v2', eligible: true }],
      { v1: 1, v2: 99 },
    );
    assert.deepEqual(dealt, [1, 1, 1, 0, 0, 256]);
    const light = dealt.slice(0, 5).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(light / (light + dealt[5]) - 0.01) < 0.002, JSON.stringify(dealt));
  });

  test('a tiny share keeps weight 1; a weighted release without eligible slot falls back to all eligible ones', () => {
    assert.deepEqual(
      slotWeights(
        [
          { release: 'v1', eligible: true },
          { release: 'v2', eligible: true },
        ],
        { v1: 100, v2: 0.1 },
      ),
      [256, 1],
    );
    assert.deepEqual(
      slotWeights(
        [
          { release: 'v1', eligible: true },
          { release: 'v2', eligible: false },
        ],
        { v2: 100 },
      ),
      [1, 0],
    );
  });
});

describe('runtime API commands', () => {
  const empty = { host: '127.0.0.1', port: 1, state: 'maint' as const, weight: 1 };

  test('an unknown slot gets address, weight and state; a known one only what changed', () => {
    const wanted = { host: '127.0.0.1', port: 4100, state: 'ready' as const, weight: 3 };
    assert.deepEqual(slotCommands('svc_web', 's2', null, wanted), [
      'set server svc_web/s2 addr 127.0.0.1 port 4100',
      'set weight svc_web/s2 3',
      'set server svc_web/s2 state ready',
    ]);
    assert.deepEqual(slotCommands('svc_web', 's2', empty, wanted), [
      'set server svc_web/s2 addr 127.0.0.1 port 4100',
      'set weight svc_web/s2 3',
      'set server svc_web/s2 state ready',
    ]);
    assert.deepEqual(slotCommands('svc_web', 's2', wanted, { ...wanted, state: 'drain' }), ['set server svc_web/s2 state drain']);
    assert.deepEqual(slotCommands('svc_web', 's2', wanted, wanted), []);
  });

  test('a batch sets addresses and weights first, then ready, then drain, then maint', () => {
    assert.deepEqual(
      orderCommands([
        'set server b/s1 state maint',
        'set server b/s2 state drain',
        'set server b/s3 state ready',
        'set weight b/s3 1',
        'set server b/s3 addr 127.0.0.1 port 5',
      ]),
      [
        'set weight b/s3 1',
        'set server b/s3 addr 127.0.0.1 port 5',
        'set server b/s3 state ready',
        'set server b/s2 state drain',
        'set server b/s1 state maint',
      ],
    );
  });

  test('refusals are told apart from informative answers', () => {
    assert.equal(runtimeRefusal("No need to change the addr, port changed from '1' to '41010' by 'stats socket command'\n"), null);
    assert.equal(runtimeRefusal(''), null);
    assert.equal(runtimeRefusal('\nNo such server.\n\n'), 'No such server.');
    assert.equal(
      runtimeRefusal("Unknown command: 'sett', but maybe one of the following...\n"),
      "Unknown command: 'sett', but maybe one of the following...",
    );
  });

  test('slot names round-trip', () => {
    assert.equal(slotName(0), 's1');
    assert.equal(slotIndex('s12'), 11);
    assert.equal(slotIndex('<NOSRV>'), -1);
    assert.equal(slotIndex('s0'), -1);
  });
});

describe('parsing what HAProxy says', () => {
  test('show stat: server rows with sessions plus queue as in flight', () => {
    const csv =
      '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin\n' +
      'svc_web,FRONTEND,,,0,1,,1,0\n' +
      'svc_web,s1,1,0,2,1,,7,89\n' +
      'svc_web,s2,0,0,0,0,,0,0\n' +
      'svc_web,BACKEND,0,0,2,1,,7,89\n';
    assert.deepEqual(parseServerStats(csv), [
      { backend: 'svc_web', server: 's1', inFlight: 3, total: 7 },
      { backend: 'svc_web', server: 's2', inFlight: 0, total: 0 },
    ]);
  });

  test('request log lines: status, latency, HAProxy-generated errors and timeouts', () => {
    assert.deepEqual(parseLogLine('cutover svc_web s1 200 18 ---- /a/x', 'cutover'), {
      backend: 'svc_web',
      server: 's1',
      status: 200,
      latencyMs: 18,
      proxyError: false,
      timedOut: false,
      path: '/a/x',
    });
    // The app answered 503 itself: not a proxy error.
    assert.equal(parseLogLine('cutover svc_web s1 503 3 ---- /', 'cutover')?.proxyError, false);
    const timeout = parseLogLine('cutover svc_web s2 504 60001 sH-- /slow', 'cutover');
    assert.equal(timeout?.proxyError, true);
    assert.equal(timeout?.timedOut, true);
    const refused = parseLogLine('cutover svc_web s2 503 2 SC-- /', 'cutover');
    assert.deepEqual([refused?.proxyError, refused?.timedOut], [true, false]);
    assert.equal(parseLogLine('Server svc_web/s1 is UP/READY (leaving forced maintenance).', 'cutover'), null);
  });

  test('haproxy -v', () => {
    assert.deepEqual(parseHaproxyVersion('HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/\n'), {
      text: '2.6.12-1+deb12u4',
      major: 2,
      minor: 6,
    });
    assert.deepEqual(parseHaproxyVersion('HA-Proxy version 1.8.19 2019/02/11')?.major, 1);
    assert.equal(parseHaproxyVersion('bash: haproxy: not found'), null);
  });
});
