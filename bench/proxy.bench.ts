/**
 * What a proxy costs, in one run: the demo app's trivial endpoint (GET /) reached directly, through
 * cutover's proxy (agent started by `cutover up`) and through nginx (where installed; keep-alive
 * upstream, one worker), all three in front of the same single app instance on 127.0.0.1.
 *   1. fixed rate: open-loop keep-alive load at `--rate` req/s: p50/p99 and the latency added vs direct;
 *   2. max throughput: autocannon with `--connections` keep-alive connections: req/s.
 * Run: npm run bench:proxy -- [--rate 1000] [--duration-s 10] [--warmup-s 2] [--connections 32]
 * Prints tables and writes the raw results to bench/results/proxy-<time>.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable } from '../packages/cutover/src/cli/table.ts';
import { freePort } from '../test/e2e/support/sandbox.ts';
import { measureThroughput, type ThroughputResult } from './support/autocannon.ts';
import { runBench } from './support/cleanup.ts';
import { CutoverContender } from './support/cutover-contender.ts';
import { type LatencySummary, ms, ratio, summarize } from './support/latency-summary.ts';
import { findNginx, Nginx } from './support/nginx.ts';
import { startOpenLoopLoad } from './support/open-loop-load.ts';
import { sleep } from './support/processes.ts';
import { machine, writeResults } from './support/results-file.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    'duration-s': { type: 'string', default: '10' },
    'warmup-s': { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
  },
});
const rate = Number(values.rate);
const durationSec = Number(values['duration-s']);
const warmupSec = Number(values['warmup-s']);
const connections = Number(values.connections);

interface Target {
  name: string;
  url: string;
  fixedRate?: LatencySummary;
  maxThroughput?: ThroughputResult;
}

/** Latency at a fixed open-loop rate on keep-alive connections, after a warm-up whose samples are dropped. */
async function fixedRate(url: string): Promise<LatencySummary> {
  const warmup = startOpenLoopLoad({ url, ratePerSec: rate, newConnectionShare: 0 });
  await sleep(warmupSec * 1000);
  await warmup.stop();
  const load = startOpenLoopLoad({ url, ratePerSec: rate, newConnectionShare: 0 });
  await sleep(durationSec * 1000);
  return summarize((await load.stop()).samples);
}

await runBench(120_000 + 8 * (durationSec + warmupSec + 30) * 1000, async (cleanup) => {
  const before = machine();
  console.log(`${before.cpus} cores (${before.cpuModel}), load average ${before.loadAverage.join(' ')}`);
  const cutover = new CutoverContender({ instances: 1, bootDelayMs: 0, releases: ['v1'] });
  cleanup.add('cutover', () => cutover.stop());
  await cutover.start('v1');
  const [appPort] = await cutover.instancePorts();
  const targets: Target[] = [
    { name: 'direct', url: `http://127.0.0.1:${appPort}/` },
    { name: 'cutover', url: cutover.url },
  ];
  const nginxBin = findNginx();
  if (nginxBin) {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-nginx-'));
    const nginx = new Nginx(nginxBin, dir, await freePort());
    cleanup.add('nginx', async () => {
      await nginx.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    await nginx.start([appPort]);
    targets.push({ name: 'nginx', url: nginx.url });
  } else console.log('nginx not installed: skipped');

  console.log(
    `\n1. Fixed rate: ${rate} req/s open loop on keep-alive connections, ${durationSec} s per target after ${warmupSec} s of warm-up`,
  );
  for (const target of targets) target.fixedRate = await fixedRate(target.url);
  const direct = targets[0].fixedRate!;
  const nginxFixed = targets.find((t) => t.name === 'nginx')?.fixedRate;
  console.log(
    formatTable(
      ['TARGET', 'REQUESTS', 'FAILED', 'p50 ms', 'p99 ms', 'max ms', 'ADDED p50', 'ADDED p99', 'p99 vs NGINX'],
      targets.map(({ name, fixedRate: r }) => [
        name,
        r!.requests,
        r!.failed,
        ms(r!.p50Ms, 2),
        ms(r!.p99Ms, 2),
        ms(r!.maxMs, 1),
        ms(r!.p50Ms - direct.p50Ms, 2),
        ms(r!.p99Ms - direct.p99Ms, 2),
        nginxFixed ? ratio(r!.p99Ms, nginxFixed.p99Ms) : '-',
      ]),
    ),
  );

  console.log(`\n2. Max throughput: autocannon, ${connections} keep-alive connections, ${durationSec} s per target`);
  for (const target of targets) target.maxThroughput = await measureThroughput(target.url, connections, durationSec);
  const directMax = targets[0].maxThroughput!;
  const nginxMax = targets.find((t) => t.name === 'nginx')?.maxThroughput;
  console.log(
    formatTable(
      ['TARGET', 'REQ/S', 'p50 ms', 'p99 ms', 'FAILED', 'vs DIRECT', 'vs NGINX'],
      targets.map(({ name, maxThroughput: r }) => [
        name,
        Math.round(r!.reqPerSec),
        r!.p50Ms,
        r!.p99Ms,
        r!.failed,
        ratio(r!.reqPerSec, directMax.reqPerSec),
        nginxMax ? ratio(r!.reqPerSec, nginxMax.reqPerSec) : '-',
      ]),
    ),
  );
  const after = machine();
  console.log(`\nADDED = target − direct; ratios are target / reference. Load average at the end ${after.loadAverage.join(' ')}`);
  console.log('(2 cores shared by the load generator, the proxy and the app, and by anything else running on the machine)');
  const file = writeResults('proxy', { options: { rate, durationSec, warmupSec, connections }, machine: { before, after }, targets });
  console.log(`raw results: ${file}`);
});
