/**
 * Where Node's floor for a proxy lies, beside cutover's proxy: the CPU time per request of
 *   bare     a node:http server that answers by itself (one HTTP exchange, the server half of a proxy),
 *   raw      node:http server + a hand-written HTTP/1.1 client to the app (the least any Node proxy does),
 *   undici   node:http server + undici's Pool, nothing else (the least a proxy on undici does),
 *   client   node:http server + cutover's own upstream client, nothing else (the same with the client the proxy uses),
 *   cutover  cutover's ProxyServer with sticky cookie, split weights, retries and counters on,
 * each in front of its own copy of the demo app (bench/support/proxy-floor-server.ts).
 * All five are loaded at the same moments (one autocannon each, in parallel, at a fixed rate), so a
 * burst of other work on a shared machine hits all alike; the ratios per turn are the figures to read.
 * Run: node bench/proxy-floor.bench.ts [--rate 1000] [--connections 8] [--turns 10] [--seconds 3]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable } from '../packages/cutover/src/cli/table.ts';
import { percentile } from '../test/e2e/support/load-generator.ts';
import { freePort, REPO_ROOT } from '../test/e2e/support/sandbox.ts';
import { fixedRateLoad } from './support/autocannon.ts';
import { runBench } from './support/cleanup.ts';
import { startFloorServer } from './support/floor-server-process.ts';
import { processCpuMs } from './support/process-cpu.ts';
import { machine, writeResults } from './support/results-file.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '8' },
    turns: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '3' },
  },
});
const rate = Number(values.rate);
const connections = Number(values.connections);
const turns = Number(values.turns);
const seconds = Number(values.seconds);
const MODES = ['cutover', 'undici', 'client', 'raw', 'bare'] as const;
const SERVER = join(REPO_ROOT, 'bench/support/proxy-floor-server.ts');
/** Requests answered by `autocannon -R rate` against `url` in `durationSec`. */
const load = (url: string, durationSec: number) => fixedRateLoad(url, { connections, rate, durationSec });

await runBench(120_000 + turns * (seconds + 30) * 1000, async (cleanup) => {
  const before = machine();
  console.log(`${before.cpus} cores (${before.cpuModel}), load average ${before.loadAverage.join(' ')}`);
  const start = (mode: string, env: Record<string, string>) => startFloorServer(cleanup, SERVER, mode, env);
  const targets: { mode: string; url: string; pid: number; cpuUs: number[]; failed: number }[] = [];
  for (const mode of MODES) {
    const appPort = await freePort();
    await start('app', { PORT: String(appPort) });
    const port = await freePort();
    const child = await start(mode, { PORT: String(port), APP_PORT: String(appPort) });
    targets.push({ mode, url: `http://127.0.0.1:${port}/`, pid: child.pid!, cpuUs: [], failed: 0 });
  }
  console.log(
    `\n${turns} turns of ${seconds} s, ${rate} req/s to each target at once on ${connections} keep-alive connections (after 2 s of warm-up)`,
  );
  await Promise.all(targets.map((t) => load(t.url, 2)));
  for (let turn = 0; turn < turns; turn++) {
    const cpuBefore = targets.map((t) => processCpuMs(t.pid)!);
    const results = await Promise.all(targets.map((t) => load(t.url, seconds)));
    for (const [i, t] of targets.entries()) {
      const after = processCpuMs(t.pid)!;
      const ms = after.userMs + after.systemMs - cpuBefore[i].userMs - cpuBefore[i].systemMs;
      t.cpuUs.push((ms * 1000) / Math.max(1, results[i].requests));
      t.failed += results[i].failed;
    }
  }
  const reference = targets[0];
  const median = (xs: number[]): number => percentile(xs, 0.5);
  console.log(
    formatTable(
      ['TARGET', 'CPU µs/REQ (median of turns)', 'vs CUTOVER (median of turn ratios)', 'FAILED'],
      targets.map((t) => [
        t.mode,
        Math.round(median(t.cpuUs)),
        `${median(t.cpuUs.map((us, turn) => us / reference.cpuUs[turn])).toFixed(2)}x`,
        t.failed,
      ]),
    ),
  );
  const after = machine();
  console.log(
    `\nCPU = user + system time of the target's own process per request answered. Load average at the end ${after.loadAverage.join(' ')}`,
  );
  const file = writeResults('proxy-floor', { options: { rate, connections, turns, seconds }, machine: { before, after }, targets });
  console.log(`raw results: ${file}`);
});
