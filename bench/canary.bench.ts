/**
 * Canary and blue-green on one host, under open-loop load on 127.0.0.1, through the CLI:
 *   A. a bad canary (errors at --error-rate, --weight % of traffic): time from the failing verdict to
 *      every request on stable (orchestrator clock and as the clients saw it), and requests the bad
 *      canary served before the abort;
 *   B. a good canary with two 2 s pauses: promotion overhead beyond the configured pauses;
 *   C. blue-green with a failing post-promotion analysis: time from the verdict to the switch back.
 * Run: node bench/canary.bench.ts [--rate 400] [--rounds 3] [--weight 10] [--error-rate 0.2]
 * Prints a table and writes the raw figures to bench/results/canary-<time>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { parseRecord } from '../test/e2e/support/rollout-helpers.ts';
import { Sandbox } from '../test/e2e/support/sandbox.ts';
import { type CanarySample, startCanaryLoad } from './support/canary-load.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '400' },
    rounds: { type: 'string', default: '3' },
    weight: { type: 'string', default: '10' },
    'error-rate': { type: 'string', default: '0.2' },
  },
});
const RATE = Number(values.rate);
const ROUNDS = Number(values.rounds);
const WEIGHT = Number(values.weight);
const ERROR_RATE = Number(values['error-rate']);
const PAUSES_MS = 4000;

const header = `service: bench-canary
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: ${JSON.stringify(`${process.execPath} server.js`)}
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 10s, intervalMs: 500ms }
    stopTimeoutMs: 5s
proxy: { drainTimeoutMs: 5s, websocketGraceMs: 1s }
`;
const CANARY_BAD = `rollout:
  strategy: canary
  onInconclusive: abort
  steps:
    - setWeight: ${WEIGHT}
    - analysis:
        metrics:
          - { name: error-rate, provider: { kind: proxy, metric: error-rate }, max: 0.01, minSamples: 50, initialDelayMs: 2s, intervalMs: 500ms, windowMs: 2s, count: 3, onNoData: extend, maxExtensions: 10 }
`;
const CANARY_GOOD = `rollout:
  strategy: canary
  steps: [{ setWeight: 20 }, { pause: { durationMs: 2s } }, { setWeight: 50 }, { pause: { durationMs: 2s } }]
`;
const BLUE_GREEN = `rollout:
  strategy: blueGreen
  onInconclusive: abort
  scaleDownDelayMs: 5s
  postPromotionAnalysis:
    metrics:
      - { name: p99, provider: { kind: proxy, metric: latency-p99 }, max: 250, minSamples: 50, initialDelayMs: 1s, intervalMs: 500ms, windowMs: 1s, count: 1, onNoData: extend, maxExtensions: 10 }
`;

interface Event {
  at: number;
  type: string;
  data: Record<string, unknown>;
}

const box = new Sandbox('cutover-bench-canary-');
const useConfig = (rollout: string) => writeFileSync(box.config, `${header}${rollout}agent: { httpPort: ${box.httpPort} }\n`);
const results: Record<string, Record<string, number>[]> = { badCanary: [], promotion: [], blueGreen: [] };

async function deploy(release: string): Promise<{ events: Event[]; samples: CanarySample[]; rolloutMs: number; state: string }> {
  const load = startCanaryLoad(`${box.url}/`, RATE);
  await sleep(1000);
  const cli = await box.cli(['deploy', release, '--json'], { timeoutMs: 120_000 });
  await sleep(1000);
  const samples = await load.stop();
  const record = parseRecord(cli.stdout);
  if (!record) throw new Error(`deploy ${release} printed no record:\n${cli.stdout}\n${cli.stderr}`);
  const rollout = record.steps.find((s) => s.name === 'rollout') as unknown as { startedAt: number; endedAt: number };
  return { events: record.events, samples, rolloutMs: rollout.endedAt - rollout.startedAt, state: record.state };
}

const first = (events: Event[], type: string, where: (e: Event) => boolean = () => true) => {
  const found = events.find((e) => e.type === type && where(e));
  if (!found) throw new Error(`no ${type} event`);
  return found;
};
const weightsOf = (e: Event) => e.data.weights as Record<string, number> | null;

try {
  box.release('v1', { bootDelayMs: 300 });
  for (let round = 1; round <= ROUNDS; round++) {
    box.release(`bad${round}`, { bootDelayMs: 300, errorRate: ERROR_RATE });
    box.release(`good${round}`, { bootDelayMs: 300 });
    box.release(`slow${round}`, { bootDelayMs: 300, extraLatencyMs: 400 });
  }
  await box.writeConfig((port) => `${header}${CANARY_BAD}agent: { httpPort: ${port} }\n`);
  const up = await box.cli(['up', '--release', 'v1']);
  if (up.code !== 0) throw new Error(`cutover up failed:\n${up.stdout}\n${up.stderr}`);

  for (let round = 1; round <= ROUNDS; round++) {
    useConfig(CANARY_BAD);
    const canary = `bad${round}`;
    const { events, samples, state } = await deploy(canary);
    if (state !== 'rolled_back') throw new Error(`bad canary ended ${state}`);
    const shared = first(events, 'weights:set', (e) => (weightsOf(e)?.[canary] ?? 0) > 0).data.atMs as number;
    const verdictAt = first(events, 'analysis:verdict').at;
    const switchedAt = first(events, 'weights:set', (e) => String(e.data.reason).startsWith('abort:')).data.atMs as number;
    const served = samples.filter((s) => s.release === canary);
    const lastCanarySent = Math.max(...served.map((s) => s.sentAtMs));
    results.badCanary.push({
      detectionMs: verdictAt - shared,
      verdictToStableMs: switchedAt - verdictAt,
      weightsCallMs: first(events, 'weights:set', (e) => String(e.data.reason).startsWith('abort:')).data.tookMs as number,
      clientLastCanaryAfterVerdictMs: lastCanarySent - verdictAt,
      canaryServed: served.length,
      canaryFailed: served.filter((s) => s.status >= 500).length,
      expectedServed: Math.round((WEIGHT / 100) * RATE * ((switchedAt - shared) / 1000)),
      stableFailed: samples.filter((s) => s.release !== canary && s.status !== 200).length,
    });
  }

  for (let round = 1; round <= ROUNDS; round++) {
    useConfig(CANARY_GOOD);
    const release = `good${round}`;
    const { events, samples, rolloutMs, state } = await deploy(release);
    if (state !== 'succeeded') throw new Error(`good canary ended ${state}`);
    const start = events[0].at;
    const firstShare = first(events, 'weights:set', (e) => (weightsOf(e)?.[release] ?? 0) > 0).data.atMs as number;
    const promoting = first(events, 'rollout:promoting').at;
    const switched = first(events, 'weights:set', (e) => weightsOf(e)?.[release] === 100).data.atMs as number;
    const cleared = first(events, 'weights:set', (e) => e.data.weights === null).data.atMs as number;
    results.promotion.push({
      rolloutMs,
      overheadMs: rolloutMs - PAUSES_MS,
      canaryReadyMs: firstShare - start,
      promotionToSwitchMs: switched - promoting,
      retireOldMs: cleared - switched,
      failed: samples.filter((s) => s.status !== 200).length,
    });
  }

  for (let round = 1; round <= ROUNDS; round++) {
    useConfig(BLUE_GREEN);
    const green = `slow${round}`;
    const { events, samples, state } = await deploy(green);
    if (state !== 'rolled_back') throw new Error(`slow green ended ${state}`);
    const verdictAt = first(events, 'analysis:verdict').at;
    const back = first(events, 'weights:set', (e) => String(e.data.reason).startsWith('abort:'));
    const switchedAt = first(events, 'weights:set', (e) => weightsOf(e)?.[green] === 100).data.atMs as number;
    const lastGreenSent = Math.max(...samples.filter((s) => s.release === green).map((s) => s.sentAtMs));
    results.blueGreen.push({
      switchCallMs: first(events, 'weights:set', (e) => weightsOf(e)?.[green] === 100).data.tookMs as number,
      verdictToBlueMs: (back.data.atMs as number) - verdictAt,
      switchBackCallMs: back.data.tookMs as number,
      clientLastGreenAfterVerdictMs: lastGreenSent - verdictAt,
      greenServed: samples.filter((s) => s.release === green).length,
      onGreenMs: (back.data.atMs as number) - switchedAt,
      failed: samples.filter((s) => s.status !== 200).length,
    });
  }
  print();
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const file = new URL(`./results/canary-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url);
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverage: loadavg(), node: process.version };
  writeFileSync(file, `${JSON.stringify({ machine, rate: RATE, weight: WEIGHT, errorRate: ERROR_RATE, results }, null, 2)}\n`);
  console.log(`\nraw figures: ${file.pathname}`);
} finally {
  await box.cleanup();
}

function print(): void {
  console.log(
    `\nCanary / blue-green on one host: ${RATE} req/s open loop, canary weight ${WEIGHT} %, bad canary error rate ${ERROR_RATE * 100} %, ${ROUNDS} rounds, ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}`,
  );
  for (const [name, rows] of Object.entries(results)) {
    console.log(`\n${name}`);
    const keys = Object.keys(rows[0] ?? {});
    console.log(`  ${'figure'.padEnd(32)} ${'median'.padStart(9)} ${'min'.padStart(9)} ${'max'.padStart(9)}`);
    for (const key of keys) {
      const sorted = rows.map((r) => r[key]).sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)];
      const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1)).padStart(9);
      console.log(`  ${key.padEnd(32)} ${fmt(median)} ${fmt(sorted[0])} ${fmt(sorted[sorted.length - 1])}`);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
