/**
 * What a proxy costs, in one run: the demo app's trivial endpoint (GET /) reached directly, through
 * cutover's proxy (agent started by `cutover up`, with sticky cookie, split release weights, retries
 * and counters on) and through nginx (where installed; keep-alive
 * upstream, one worker), all three in front of the same single app instance on 127.0.0.1; where
 * HAProxy is installed, also through a plain HAProxy (one thread) in front of that instance and
 * through a second cutover agent with `proxy.dataPlane: haproxy` (its own instance of the same app).
 *   1. fixed rate: open-loop keep-alive load at `--rate` req/s: p50/p99 and the latency added vs direct;
 *   2. max throughput: autocannon with `--connections` keep-alive connections: req/s.
 * Each target is measured in `--slices` turns, round robin, so that other work on the machine hits all alike.
 * Run: npm run bench:proxy -- [--rate 1000] [--duration-s 10] [--warmup-s 2] [--connections 32] [--slices 5]
 * Prints tables and writes the raw results to bench/results/proxy-<time>.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable } from '../packages/cutover/src/cli/table.ts';
import { AgentClient } from '../packages/cutover/src/platform/agent-client.ts';
import { percentile } from '../test/e2e/support/load-generator.ts';
import { freePort } from '../test/e2e/support/sandbox.ts';
import { measureThroughput, type ThroughputResult } from './support/autocannon.ts';
import { runBench } from './support/cleanup.ts';
import { CutoverContender } from './support/cutover-contender.ts';
import { agentHaproxyWorker, findHaproxy, Haproxy } from './support/haproxy.ts';
import { type LatencySummary, ms, ratio, summarize } from './support/latency-summary.ts';
import { findNginx, Nginx } from './support/nginx.ts';
import { type LoadResult, startOpenLoopLoad } from './support/open-loop-load.ts';
import { processCpuMs } from './support/process-cpu.ts';
import { sleep } from './support/processes.ts';
import { machine, writeResults } from './support/results-file.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    'duration-s': { type: 'string', default: '10' },
    'warmup-s': { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    slices: { type: 'string', default: '5' },
  },
});
const rate = Number(values.rate);
const durationSec = Number(values['duration-s']);
const warmupSec = Number(values['warmup-s']);
const connections = Number(values.connections);
const slices = Number(values.slices);

interface Target {
  name: string;
  url: string;
  /** The proxy's own process (the agent, the nginx worker; for direct, the app): its CPU time per request is measured. */
  pid?: number;
  /** More processes whose CPU time counts for this target (cutover with HAProxy: the agent reading HAProxy's request log). */
  extraPids?: number[];
  /** CPU time of `pid` per request in the max-throughput turns (µs, user + system, and system alone). */
  cpuPerRequestUs?: { total: number; system: number };
  fixedRate?: LatencySummary & { generatorLagMs: { p99: number; max: number } };
  maxThroughput?: ThroughputResult;
}

/**
 * Measures every target in `slices` short turns, round robin, so that a burst of other work on the
 * machine lands on all of them alike rather than on whichever ran at that moment.
 */
async function roundRobin(targets: Target[], measure: (target: Target, index: number) => Promise<void>): Promise<void> {
  for (let slice = 0; slice < slices; slice++) for (const [index, target] of targets.entries()) await measure(target, index);
}

/** Latency at a fixed open-loop rate on keep-alive connections; the warm-up's samples are dropped. */
async function fixedRate(targets: Target[]): Promise<void> {
  for (const target of targets) {
    const warmup = startOpenLoopLoad({ url: target.url, ratePerSec: rate, newConnectionShare: 0 });
    await sleep(warmupSec * 1000);
    await warmup.stop();
  }
  const results: LoadResult[][] = targets.map(() => []);
  await roundRobin(targets, async (target, index) => {
    const load = startOpenLoopLoad({ url: target.url, ratePerSec: rate, newConnectionShare: 0 });
    await sleep((durationSec * 1000) / slices);
    results[index].push(await load.stop());
  });
  for (const [index, target] of targets.entries()) {
    const parts = results[index];
    target.fixedRate = {
      ...summarize(parts.flatMap((p) => p.samples)),
      generatorLagMs: {
        p99: Math.round(Math.max(...parts.map((p) => p.eventLoopDelayP99Ms))),
        max: Math.round(Math.max(...parts.map((p) => p.eventLoopDelayMaxMs))),
      },
    };
  }
}

/** CPU time so far of a target's proxy process and of its extra processes. */
function cpuOf(target: Target): { userMs: number; systemMs: number } | null {
  const total = { userMs: 0, systemMs: 0 };
  for (const pid of [target.pid!, ...(target.extraPids ?? [])]) {
    const cpu = processCpuMs(pid);
    if (cpu === null) return null;
    total.userMs += cpu.userMs;
    total.systemMs += cpu.systemMs;
  }
  return total;
}

/** Closed-loop max throughput: mean req/s over the slices, median p50/p99 of the slices. */
async function maxThroughput(targets: Target[]): Promise<void> {
  const results: ThroughputResult[][] = targets.map(() => []);
  const cpu = targets.map(() => ({ userMs: 0, systemMs: 0, requests: 0 }));
  await roundRobin(targets, async (target, index) => {
    const before = target.pid === undefined ? null : cpuOf(target);
    const result = await measureThroughput(target.url, connections, durationSec / slices);
    const after = target.pid === undefined ? null : cpuOf(target);
    if (before !== null && after !== null) {
      cpu[index].userMs += after.userMs - before.userMs;
      cpu[index].systemMs += after.systemMs - before.systemMs;
      cpu[index].requests += result.requests;
    }
    results[index].push(result);
  });
  for (const [index, target] of targets.entries()) {
    const parts = results[index];
    target.maxThroughput = {
      reqPerSec: parts.reduce((sum, p) => sum + p.reqPerSec, 0) / parts.length,
      p50Ms: percentile(
        parts.map((p) => p.p50Ms),
        0.5,
      ),
      p99Ms: percentile(
        parts.map((p) => p.p99Ms),
        0.5,
      ),
      failed: parts.reduce((sum, p) => sum + p.failed, 0),
      requests: parts.reduce((sum, p) => sum + p.requests, 0),
    };
    const { userMs, systemMs, requests } = cpu[index];
    if (requests > 0)
      target.cpuPerRequestUs = {
        total: Math.round((((userMs + systemMs) * 1000) / requests) * 10) / 10,
        system: Math.round(((systemMs * 1000) / requests) * 10) / 10,
      };
  }
}

await runBench(120_000 + 3 * (2 * durationSec + warmupSec + slices * 30) * 1000, async (cleanup) => {
  const before = machine();
  console.log(`${before.cpus} cores (${before.cpuModel}), load average ${before.loadAverage.join(' ')}`);
  // Every proxy feature on: a sticky cookie, release weights split between v1 and a second release
  // (which has no instance, so every request still lands on v1, and each answer carries the cookie
  // since the load generator never sends it back), retries and counters (always on).
  const cutover = new CutoverContender(
    { instances: 1, bootDelayMs: 0, releases: ['v1'] },
    'proxy: { sticky: { cookie: cutover-release }, forceReleaseHeader: x-cutover-release }\n',
  );
  cleanup.add('cutover', () => cutover.stop());
  await cutover.start('v1');
  await new AgentClient(join(cutover.box.dir, '.cutover')).setWeights('bench', { v1: 99, v2: 1 });
  const [appPort] = await cutover.instancePorts();
  // For direct, the CPU measured is the app's: a node:http server answering by itself, the floor of
  // one HTTP exchange in Node (a proxy in Node does one such exchange with the client, one with the app).
  const [appPid] = await cutover.instancePids();
  const targets: Target[] = [
    { name: 'direct', url: `http://127.0.0.1:${appPort}/`, pid: appPid },
    { name: 'cutover', url: cutover.url, pid: cutover.agentPid() },
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
    targets.push({ name: 'nginx', url: nginx.url, pid: nginx.workerPid() });
  } else console.log('nginx not installed: skipped');
  const haproxyBin = findHaproxy();
  if (haproxyBin) {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-haproxy-'));
    const haproxy = new Haproxy(haproxyBin, dir, await freePort());
    cleanup.add('haproxy', async () => {
      await haproxy.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    await haproxy.start([appPort]);
    targets.push({ name: 'haproxy', url: haproxy.url, pid: haproxy.workerPid() });
    // cutover with HAProxy as its data plane: the same split weights (no sticky cookie, which HAProxy mode refuses).
    const viaHaproxy = new CutoverContender({ instances: 1, bootDelayMs: 0, releases: ['v1'] }, 'proxy: { dataPlane: haproxy }\n');
    cleanup.add('cutover-haproxy', () => viaHaproxy.stop());
    await viaHaproxy.start('v1');
    await new AgentClient(join(viaHaproxy.box.dir, '.cutover')).setWeights('bench', { v1: 99, v2: 1 });
    const agentPid = viaHaproxy.agentPid();
    const worker = agentPid === undefined ? undefined : agentHaproxyWorker(agentPid);
    targets.push({ name: 'cutover+haproxy', url: viaHaproxy.url, pid: worker, extraPids: agentPid === undefined ? [] : [agentPid] });
  } else console.log('haproxy not installed: skipped (apt-get install haproxy)');

  console.log(
    `\n1. Fixed rate: ${rate} req/s open loop on keep-alive connections, ${durationSec} s per target in ${slices} turns, after ${warmupSec} s of warm-up`,
  );
  await fixedRate(targets);
  for (const { name, fixedRate: r } of targets)
    if (r!.failed > 0)
      console.log(
        `${name} failed: ${Object.entries(r!.failures)
          .map(([kind, n]) => `${kind} ${n}`)
          .join(', ')}`,
      );
  const direct = targets[0].fixedRate!;
  const nginxFixed = targets.find((t) => t.name === 'nginx')?.fixedRate;
  console.log(
    formatTable(
      ['TARGET', 'REQUESTS', 'FAILED', 'p50 ms', 'p99 ms', 'max ms', 'ADDED p50', 'ADDED p99', 'p99 vs NGINX', 'GEN LAG'],
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
        `${r!.generatorLagMs.p99}/${r!.generatorLagMs.max}`,
      ]),
    ),
  );

  console.log(`\n2. Max throughput: autocannon, ${connections} keep-alive connections, ${durationSec} s per target in ${slices} turns`);
  await maxThroughput(targets);
  const directMax = targets[0].maxThroughput!;
  const nginxMax = targets.find((t) => t.name === 'nginx')?.maxThroughput;
  console.log(
    formatTable(
      ['TARGET', 'REQ/S', 'p50 ms', 'p99 ms', 'FAILED', 'vs DIRECT', 'vs NGINX', 'PROXY CPU µs/REQ (sys)'],
      targets.map(({ name, maxThroughput: r, cpuPerRequestUs: c }) => [
        name,
        Math.round(r!.reqPerSec),
        r!.p50Ms,
        r!.p99Ms,
        r!.failed,
        ratio(r!.reqPerSec, directMax.reqPerSec),
        nginxMax ? ratio(r!.reqPerSec, nginxMax.reqPerSec) : '-',
        c === undefined ? '-' : `${c.total} (${c.system})`,
      ]),
    ),
  );
  const after = machine();
  console.log(`\nADDED = target − direct; ratios are target / reference; GEN LAG = the load generator's event-loop delay p99/max in ms.`);
  console.log(
    `PROXY CPU = CPU time of the proxy's own process (agent, nginx worker, haproxy worker; for cutover+haproxy the haproxy worker plus the agent) per request in the max-throughput turns: less sensitive to the machine's load than req/s; for direct, the app's own CPU (Node's floor for one HTTP exchange).`,
  );
  console.log(`Load average at the end ${after.loadAverage.join(' ')}`);
  console.log('(2 cores shared by the load generator, the proxy and the app, and by anything else running on the machine)');
  const file = writeResults('proxy', { options: { rate, durationSec, warmupSec, connections }, machine: { before, after }, targets });
  console.log(`raw results: ${file}`);
});
