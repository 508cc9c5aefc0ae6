// The dashboard's live path: how long after a deployment event is recorded in cutover.db it shows on
// an open page in headless Chromium, against the anchor of a plain Node client of the same event
// stream (what the network and the server cost, without the page's rendering and charts). Two write
// paths: the controller's own store (woken at once) and another connection (another process: found
// by the feed's 50 ms read). Also the page weight. Needs /usr/bin/chromium.
//
//   node bench/dashboard.bench.ts [--events 200]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { agentPaths } from '../packages/cutover/src/agent/agent-paths.ts';
import { DashboardServer } from '../packages/cutover/src/dashboard/dashboard-server.ts';
import { EventFeed } from '../packages/cutover/src/dashboard/event-feed.ts';
import { AgentClient } from '../packages/cutover/src/platform/agent-client.ts';
import { DeploymentStore } from '../packages/cutover/src/store/deployment-store.ts';
import { launchChromium } from '../test/e2e/support/browser.ts';
import { machine, writeResults } from './support/results-file.ts';

/** The page's record of when each event reached it (the function handed to page.evaluate runs there). */
declare const window: { cutoverShown: { id: number; at: number; shownAt: number }[] };

const { values } = parseArgs({ options: { events: { type: 'string', default: '200' } } });
const EVENTS = Number(values.events);

const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-dashboard-'));
const store = new DeploymentStore(join(dir, 'cutover.db'));
const other = new DeploymentStore(join(dir, 'cutover.db'));
const feed = new EventFeed(store);
const server = new DashboardServer(
  {
    paths: agentPaths(dir),
    store,
    agent: new AgentClient(dir),
    events: { onAny: () => () => {} },
    deployments: { submit: async () => 0 },
  },
  feed,
  'bench-admin-token',
);
const browser = await launchChromium();

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: pct(sorted, 50), p95: pct(sorted, 95), max: sorted[sorted.length - 1] };
}

try {
  feed.start();
  const address = await server.listen('127.0.0.1', 0);
  const deploymentId = store.createDeployment({
    service: 'bench',
    kind: 'deploy',
    fromRelease: 'v1',
    toRelease: 'v2',
    actor: 'bench',
    host: 'h',
    pid: 1,
  });
  const page = await browser.context.newPage();
  const bodies: Promise<number>[] = [];
  page.on('response', (r) => {
    if (!r.url().includes('/api/events')) bodies.push(r.body().then((b) => b.length));
  });
  await page.goto(address.url);
  await page.locator('#connection', { hasText: 'live' }).waitFor();
  const pageBytes = (await Promise.all(bodies)).reduce((a, b) => a + b, 0);

  // The anchor: a Node client of the same stream, timing each record line as it arrives.
  const anchorSeen = new Map<number, number>();
  const abort = new AbortController();
  const token = new URL(address.url).searchParams.get('token');
  const stream = await fetch(`http://127.0.0.1:${address.port}/api/events?token=${token}`, { signal: abort.signal });
  void (async () => {
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += decoder.decode(value);
      for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (!frame.startsWith('event: record')) continue;
        const event = JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as { id: number; at: number };
        anchorSeen.set(event.id, Date.now() - event.at);
      }
    }
  })();

  const results: Record<string, { page: number[]; anchor: number[] }> = {
    'same store': { page: [], anchor: [] },
    'other connection': { page: [], anchor: [] },
  };
  for (let i = 0; i < EVENTS; i++) {
    const path = i % 2 === 0 ? 'same store' : 'other connection';
    const writer = path === 'same store' ? store : other;
    const weight = 5 + (i % 90);
    writer.addEvent(deploymentId, 'weights:set', { weights: { v1: 100 - weight, v2: weight }, reason: 'bench' });
    const id = store.lastEventId();
    await page.waitForFunction((want) => window.cutoverShown.some((s) => s.id === want), id, {
      polling: 5,
    });
    const shown = await page.evaluate((want) => {
      const entry = window.cutoverShown.find((s) => s.id === want);
      return entry ? entry.shownAt - entry.at : -1;
    }, id);
    const deadline = Date.now() + 5000;
    while (!anchorSeen.has(id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    results[path].page.push(shown);
    results[path].anchor.push(anchorSeen.get(id) ?? Number.NaN);
  }
  abort.abort();

  const env = machine();
  console.log(`\nDashboard: recorded event → shown, ${EVENTS} weights:set events, ${env.cpus} cores, load ${env.loadAverage.join(' ')}`);
  console.log('command: node bench/dashboard.bench.ts --events', EVENTS);
  console.log('| write path | page p50 | page p95 | page max | anchor (Node SSE client) p50 | p95 | page p95 / anchor p95 |');
  console.log('|---|---|---|---|---|---|---|');
  const summary: Record<string, unknown> = {};
  for (const [path, r] of Object.entries(results)) {
    const p = stats(r.page);
    const a = stats(r.anchor);
    summary[path] = { page: p, anchor: a };
    console.log(
      `| ${path} | ${p.p50} ms | ${p.p95} ms | ${p.max} ms | ${a.p50} ms | ${a.p95} ms | ${(p.p95 / Math.max(1, a.p95)).toFixed(2)} |`,
    );
  }
  console.log(`page weight: ${pageBytes} bytes uncompressed (budget 153600)`);
  console.log(`results: ${writeResults('dashboard', { machine: env, events: EVENTS, pageBytes, summary })}`);
} finally {
  await browser.close();
  await server.close();
  feed.stop();
  store.close();
  other.close();
  rmSync(dir, { recursive: true, force: true });
}
