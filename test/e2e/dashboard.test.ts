// End to end in a real browser: the dashboard served by the controller follows a real canary (weights
// moving), a recorded failed verdict reaches the page within a second, its Abort button aborts the
// rollout, the page loads nothing from outside and stays under its weight, and it can be used with
// the keyboard (labels, focus, contrast). Headless Debian Chromium driven by playwright-core.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { DeploymentStore } from '../../packages/cutover/src/store/deployment-store.ts';
import { chromiumSkip, launchChromium } from './support/browser.ts';
import { parseRecord, waitForStatus } from './support/rollout-helpers.ts';
import { collect, freePort, Sandbox } from './support/sandbox.ts';

const skip = chromiumSkip();

// The functions handed to page.evaluate run in the page: the few DOM names they use, typed here
// (module-scoped) so that the project needs no DOM lib.
interface PageElement {
  id: string;
  tagName: string;
  textContent: string | null;
  outerHTML: string;
  parentElement: PageElement | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  activeElement: PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
};
declare const window: { cutoverShown: { type: string; at: number; shownAt: number }[] };
declare function getComputedStyle(element: PageElement): { color: string; backgroundColor: string };
const PAGE_BUDGET_BYTES = 150 * 1024;

const CONFIG = (metricsPort: number) => (port: number) =>
  `service: e2e-dashboard
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 5s, intervalMs: 500ms }
    stopTimeoutMs: 5s
proxy: { drainTimeoutMs: 2s, websocketGraceMs: 1s }
rollout:
  strategy: canary
  healthTimeoutMs: 10s
  steps:
    - setWeight: 20
    - pause: {}
    - setWeight: 50
    - pause: {}
agent: { httpPort: ${port}, metricsPort: ${metricsPort} }
`;

/** A canary judged by a real analysis of the proxy's error rate (short windows so the test takes seconds). */
const ANALYSIS_CONFIG = (metricsPort: number) => (port: number) =>
  CONFIG(metricsPort)(port).replace(
    / {2}steps:[\s\S]*?agent:/,
    `  onInconclusive: abort
  steps:
    - setWeight: 50
    - analysis:
        metrics:
          - name: error-rate
            provider: { kind: proxy, metric: error-rate }
            max: 0.01
            minSamples: 20
            intervalMs: 500ms
            windowMs: 2s
            count: 1
            onNoData: extend
            maxExtensions: 20
agent:`,
  );

/** Requests through the proxy until stopped, so the analysis has traffic to judge. */
function loadUntil(port: number, stop: { done: boolean }): Promise<void> {
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', () => resolve());
      req.end();
    });
  return (async () => {
    while (!stop.done) await Promise.all([one(), one(), one(), one()]);
  })();
}

/** Waits until an element shows a text (a condition, never a fixed sleep; no eval: the page's CSP forbids it). */
async function waitText(page: Page, selector: string, text: string | RegExp, timeoutMs = 30_000): Promise<void> {
  await page.locator(selector, { hasText: text }).first().waitFor({ timeout: timeoutMs });
}

/** The Host header must name the dashboard's address (node's fetch cannot set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** WCAG contrast ratio of two CSS rgb() colours. */
function contrast(fg: string, bg: string): number {
  const lum = (css: string) => {
    const [r, g, b] = (css.match(/\d+(\.\d+)?/g) ?? ['0', '0', '0']).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}

describe('the dashboard in a browser', { skip }, () => {
  const box = new Sandbox('cutover-e2e-dashboard-');
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let url = '';

  before(async () => {
    for (const name of ['v1', 'v2']) box.release(name, { bootDelayMs: 100 });
    await box.writeConfig(CONFIG(await freePort()));
    const up = await box.cli(['up', '--release', 'v1']);
    assert.equal(up.code, 0, `cutover up failed:\n${up.stdout}\n${up.stderr}`);
    const opened = await box.cli(['dashboard', '--json']);
    assert.equal(opened.code, 0, opened.stdout + opened.stderr);
    const answer = JSON.parse(opened.stdout) as { url: string; host: string; loopbackOnly: boolean };
    assert.equal(answer.host, '127.0.0.1', 'loopback unless configured otherwise');
    assert.equal(answer.loopbackOnly, true);
    assert.match(answer.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
    url = answer.url;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await box.cleanup();
  });

  test('without the token the page is refused', async () => {
    const res = await fetch(url.replace(/\?token=.*/, ''));
    assert.equal(res.status, 401);
    assert.equal(await getWithHost(url, 'evil.example:80'), 421, 'a rebound DNS name is refused');
    assert.equal(await getWithHost(url, new URL(url).host), 200);
  });

  test('the page loads nothing from outside and weighs under 150 kB', async () => {
    const page = await browser.context.newPage();
    const origin = new URL(url).origin;
    const requests: string[] = [];
    const bodies: Promise<number>[] = [];
    page.on('request', (req) => requests.push(req.url()));
    page.on('response', (response) => {
      if (response.url().includes('/api/events')) return; // the event stream never ends
      bodies.push(response.body().then((b) => b.length));
    });
    await page.goto(url, { waitUntil: 'load' });
    await waitText(page, '#connection', 'live');
    const bytes = (await Promise.all(bodies)).reduce((a, b) => a + b, 0);
    const outside = requests.filter((r) => !r.startsWith(origin));
    assert.deepEqual(outside, [], 'no request leaves the dashboard origin');
    assert.ok(bytes > 10_000 && bytes < PAGE_BUDGET_BYTES, `page weight ${bytes} bytes (budget ${PAGE_BUDGET_BYTES})`);
    console.log(`# page weight: ${bytes} bytes uncompressed over ${requests.length} requests`);
    await page.close();
  });

  test('a canary: weights move on the page, a failed verdict shows within 1 s, the Abort button aborts it', async () => {
    const page = await browser.context.newPage();
    await page.goto(url);
    await waitText(page, '#connection', 'live');
    const deploy = collect(box.spawnCli(['deploy', 'v2', '--json']), 120_000);
    await waitText(page, '#current-weights', 'v2 20%');
    await page.screenshot({ path: '/tmp/cutover-dashboard-canary-20.png', fullPage: true });

    const promote = await box.cli(['promote', '--json']);
    assert.equal(promote.code, 0, promote.stdout + promote.stderr);
    await waitText(page, '#current-weights', 'v2 50%');
    const weightLatency = await page.evaluate(() => {
      const shown = window.cutoverShown;
      return shown.filter((s) => s.type === 'weights:set').map((s) => s.shownAt - s.at);
    });
    assert.ok(weightLatency.length >= 1);
    console.log(`# recorded weights:set → shown on the page: ${weightLatency.join(', ')} ms`);

    // A failed verdict recorded in the deployment (as the analysis gate records it) reaches the page within a second.
    const status = await waitForStatus(box, (s) => Boolean(s.rollout?.waitingFor));
    const store = new DeploymentStore(join(box.dir, '.cutover', 'cutover.db'));
    let deploymentId: number;
    try {
      deploymentId = store.runningDeployments('e2e-dashboard')[0].id;
      store.addEvent(deploymentId, 'analysis:verdict', {
        analysis: 'e2e',
        verdict: 'fail',
        summary: 'error-rate 9% > max 1% (recorded by the test)',
      });
    } finally {
      store.close();
    }
    const recordedAt = Date.now();
    await page.locator('#verdicts [data-verdict="fail"]').waitFor({ timeout: 5_000 });
    const verdictLatency = await page.evaluate(() => {
      const shown = window.cutoverShown;
      const entry = shown.find((s) => s.type === 'analysis:verdict');
      return entry ? entry.shownAt - entry.at : null;
    });
    assert.ok(verdictLatency !== null && verdictLatency < 1000, `failed verdict shown ${verdictLatency} ms after it was recorded`);
    console.log(
      `# recorded analysis:verdict → shown on the page: ${verdictLatency} ms (test saw it ${Date.now() - recordedAt} ms after writing)`,
    );
    assert.ok(status.rollout);
    await page.screenshot({ path: '/tmp/cutover-dashboard-canary-50-verdict.png', fullPage: true });

    // Abort from the page: a confirmation asks who; the rollout goes back to v1 and the record says who.
    await page.getByRole('button', { name: 'Abort' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Your name (recorded with the action)').fill('e2e-operator');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    const result = await deploy;
    assert.equal(result.code, 1, result.stderr);
    const record = parseRecord(result.stdout);
    assert.equal(record?.state, 'rolled_back');
    assert.match(record?.reason ?? '', /e2e-operator \(dashboard\)/);
    await waitText(page, '#deployment-state', 'rolled_back');
    await page.screenshot({ path: '/tmp/cutover-dashboard-aborted.png', fullPage: true });
    const historyText = (await page.locator('#history').textContent()) ?? '';
    assert.match(historyText, /rolled_back/);
    await page.close();
  });

  test('a real analysis: its failed measurement appears with value, threshold and verdict, plotted, and the canary is rolled back', async () => {
    box.release('v3-errors', { bootDelayMs: 100, errorRate: 0.5 });
    const metricsPort = Number(/metricsPort: (\d+)/.exec(readFileSync(box.config, 'utf8'))?.[1]);
    writeFileSync(box.config, ANALYSIS_CONFIG(metricsPort)(box.httpPort));
    const page = await browser.context.newPage();
    await page.goto(url);
    await waitText(page, '#connection', 'live');
    const stop = { done: false };
    const load = loadUntil(box.httpPort, stop);
    const result = await collect(box.spawnCli(['deploy', 'v3-errors', '--json']), 120_000);
    stop.done = true;
    await load;
    assert.equal(result.code, 1, result.stderr);
    assert.equal(parseRecord(result.stdout)?.state, 'rolled_back');
    await page.locator('#measurements tr.verdict-fail').first().waitFor({ timeout: 10_000 });
    const row = (await page.locator('#measurements tr.verdict-fail').first().textContent()) ?? '';
    assert.match(row, /error-rate/);
    assert.match(row, /≤ 0\.01/, `threshold shown: ${row}`);
    await page.locator('#verdicts [data-verdict="fail"]').waitFor({ timeout: 10_000 });
    assert.ok(await page.locator('#analysis-chart canvas').count(), 'the measurements are plotted');
    const latencies = await page.evaluate(() =>
      window.cutoverShown.filter((s) => s.type.startsWith('analysis:') || s.type === 'weights:set').map((s) => s.shownAt - s.at),
    );
    assert.ok(latencies.length > 0 && latencies.every((ms) => ms < 1000), `event → page: ${latencies.join(', ')} ms`);
    console.log(`# real canary, recorded event → page: ${latencies.join(', ')} ms`);
    await page.screenshot({ path: '/tmp/cutover-dashboard-analysis-fail.png', fullPage: true });
    await page.close();
  });

  test('the Roll back button submits a rollback to the last good release, recorded with who asked', async () => {
    const metricsPort = Number(/metricsPort: (\d+)/.exec(readFileSync(box.config, 'utf8'))?.[1]);
    writeFileSync(box.config, CONFIG(metricsPort)(box.httpPort));
    const deploy = collect(box.spawnCli(['deploy', 'v2', '--json']), 120_000);
    await waitForStatus(box, (s) => Boolean(s.rollout?.waitingFor));
    assert.equal((await box.cli(['promote', '--full'])).code, 0);
    assert.equal((await deploy).code, 0);
    const page = await browser.context.newPage();
    await page.goto(url);
    await waitText(page, '#connection', 'live');
    await page.getByRole('button', { name: 'Roll back e2e-dashboard' }).click();
    await page.getByLabel('Your name (recorded with the action)').fill('e2e-roller');
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await waitText(page, '#connection', /rollback: deployment \d+ started/);
    // The page follows the rollback it started: its timeline, then its outcome.
    await waitText(page, '#deployment h3', 'v2 → v1', 30_000);
    await waitText(page, '#deployment-state', 'succeeded', 60_000);
    const store = new DeploymentStore(join(box.dir, '.cutover', 'cutover.db'));
    try {
      const last = store.latestDeployment('e2e-dashboard');
      assert.equal(last?.kind, 'rollback');
      assert.equal(last?.toRelease, 'v1');
      assert.equal(last?.actor, 'e2e-roller (dashboard)');
    } finally {
      store.close();
    }
    await page.close();
  });

  test('keyboard and accessibility: a skip link first, every control labelled, text contrast at least 4.5:1', async () => {
    const page = await browser.context.newPage();
    await page.goto(url);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to the deployment');
    // Every control can be reached with Tab and has an accessible name.
    const controls = await page.evaluate(() => {
      const all = [...document.querySelectorAll('input, select, button, [role="img"], output')];
      return {
        tags: [...new Set(all.map((el) => el.tagName))],
        unlabelled: all
          .filter((el) => {
            const id = el.getAttribute('id');
            const label = id ? document.querySelector(`label[for="${id}"]`) : null;
            return !label && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby') && !(el.textContent ?? '').trim();
          })
          .map((el) => el.outerHTML.slice(0, 80)),
      };
    });
    // The check looked at the page's inputs and buttons (an empty page would pass it).
    assert.ok(controls.tags.includes('INPUT') && controls.tags.includes('BUTTON'), `controls checked: ${controls.tags.join(', ')}`);
    assert.deepEqual(controls.unlabelled, []);
    const reached = new Set<string>();
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      reached.add(
        await page.evaluate(
          () => `${document.activeElement?.tagName}:${document.activeElement?.id || document.activeElement?.textContent?.trim()}`,
        ),
      );
    }
    assert.ok(
      [...reached].some((r) => r.startsWith('A:')),
      'history links are reachable',
    );
    assert.ok(reached.has('INPUT:log-filter'), `the log filter is reachable by Tab: ${[...reached].join(', ')}`);
    // The log filter works from the keyboard.
    await page.focus('#log-filter');
    await page.keyboard.type('listening');
    await page.keyboard.press('Enter');
    await waitText(page, '#log-lines', /\S/);
    const pairs = await page.evaluate(() => {
      const bgOf = (el: PageElement | null): string => {
        for (let e = el; e; e = e.parentElement) {
          const bg = getComputedStyle(e).backgroundColor;
          if (bg && bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
        }
        return 'rgb(255, 255, 255)';
      };
      return [...document.querySelectorAll('h1, h2, h3, p, td, th, .badge, .muted, button:not([disabled]), label, li')]
        .filter((el) => (el.textContent ?? '').trim())
        .map((el) => ({
          what: el.outerHTML.slice(0, 60),
          tag: el.tagName,
          cls: el.getAttribute('class') ?? '',
          fg: getComputedStyle(el).color,
          bg: bgOf(el),
        }));
    });
    // The contrast was measured on the text that matters (an empty selection would pass it).
    for (const [what, found] of [
      ['a state badge', pairs.some((p) => /\bbadge\b/.test(p.cls))],
      ['muted text', pairs.some((p) => /\bmuted\b/.test(p.cls))],
      ['a table cell', pairs.some((p) => p.tag === 'TD')],
      ['an enabled button', pairs.some((p) => p.tag === 'BUTTON')],
    ] as const)
      assert.ok(found, `contrast checked on ${what}`);
    const low = pairs.filter((p) => contrast(p.fg, p.bg) < 4.5).map((p) => `${p.what} ${p.fg} on ${p.bg}`);
    assert.deepEqual(low, []);
    await page.close();
  });
});
