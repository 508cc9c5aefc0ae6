/**
 * A/B of cutover's Node proxy between two checkouts, on a shared machine: each checkout's
 * ProxyServer (the `cutover` mode of bench/support/proxy-floor-server.ts, bench:proxy's features on)
 * runs in front of its own demo app, and both are loaded at the same moments (one autocannon each, in
 * parallel, at a fixed rate), so that other work on the machine hits A and B alike. Per turn: the
 * CPU time (user + system, and user alone) of each proxy process per request; the figures to read are
 * the medians of the per-turn B/A ratios. Run it once with --a and --b the same checkout to see the
 * noise of the moment.
 * Run: node bench/proxy-ab.bench.ts --a DIR [--b DIR (default: this checkout)] [--rate 3000]
 *      [--connections 8] [--turns 14] [--seconds 2]
 * A checkout can be a worktree or an export (`git archive <commit> | tar -x -C DIR`, with DIR/node_modules
 * linked to this checkout's).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
    a: { type: 'string' },
    b: { type: 'string', default: REPO_ROOT },
    rate: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '8' },
    turns: { type: 'string', default: '14' },
    seconds: { type: 'string', default: '2' },
  },
});
if (values.a === undefined) {
  console.error('--a DIR is required: the checkout to compare this one (or --b DIR) against, e.g. a worktree of main');
  process.exit(2);
}
const roots = { A: resolve(values.a), B: resolve(values.b) };
for (const root of Object.values(roots)) {
  if (!existsSync(join(root, 'bench/support/proxy-floor-server.ts'))) throw new Error(`${root} has no bench/support/proxy-floor-server.ts`);
}
const rate = Number(values.rate);
const connections = Number(values.connections);
const turns = Number(values.turns);
const seconds = Number(values.seconds);
const load = (url: string, durationSec: number) => fixedRateLoad(url, { connections, rate, durationSec });

await runBench(120_000 + turns * (seconds + 30) * 1000, async (cleanup) => {
  const before = machine();
  console.log(`${before.cpus} cores (${before.cpuModel}), load average ${before.loadAverage.join(' ')}`);
  const start = (name: string, root: string, mode: string, env: Record<string, string>) =>
    startFloorServer(cleanup, join(root, 'bench/support/proxy-floor-server.ts'), mode, env, `${name} ${mode}`);
  const targets: { name: string; root: string; url: string; pid: number; cpuUs: number[]; userUs: number[]; failed: number }[] = [];
  for (const [name, root] of Object.entries(roots)) {
    const appPort = await freePort();
    await start(name, root, 'app', { PORT: String(appPort) });
    const port = await freePort();
    const child = await start(name, root, 'cutover', { PORT: String(port), APP_PORT: String(appPort) });
    targets.push({ name, root, url: `http://127.0.0.1:${port}/`, pid: child.pid!, cpuUs: [], userUs: [], failed: 0 });
  }
  console.log(`A ${roots.A}\nB ${roots.B}`);
  console.log(
    `${turns} turns of ${seconds} s, ${rate} req/s to each at once on ${connections} keep-alive connections (after 2 s of warm-up)`,
  );
  await Promise.all(targets.map((t) => load(t.url, 2)));
  for (let turn = 0; turn < turns; turn++) {
    const cpuBefore = targets.map((t) => processCpuMs(t.pid)!);
    const results = await Promise.all(targets.map((t) => load(t.url, seconds)));
    for (const [i, t] of targets.entries()) {
      const after = processCpuMs(t.pid)!;
      const requests = Math.max(1, results[i].requests);
      t.cpuUs.push(((after.userMs + after.systemMs - cpuBefore[i].userMs - cpuBefore[i].systemMs) * 1000) / requests);
      t.userUs.push(((after.userMs - cpuBefore[i].userMs) * 1000) / requests);
      t.failed += results[i].failed;
    }
  }
  const [a, b] = targets;
  const median = (xs: number[]): number => percentile(xs, 0.5);
  const ratio = (bs: number[], as: number[]): string => `${median(bs.map((us, turn) => us / as[turn])).toFixed(3)}x`;
  console.log(
    formatTable(
      ['', 'CPU µs/REQ (median of turns)', 'USER µs/REQ', 'FAILED'],
      targets.map((t) => [t.name, t.cpuUs.length > 0 ? median(t.cpuUs).toFixed(1) : '-', median(t.userUs).toFixed(1), t.failed]),
    ),
  );
  console.log(`\nB/A, median of the per-turn ratios: CPU ${ratio(b.cpuUs, a.cpuUs)}, user CPU ${ratio(b.userUs, a.userUs)}`);
  const after = machine();
  console.log(`Load average at the end ${after.loadAverage.join(' ')}`);
  const file = writeResults('proxy-ab', { options: { roots, rate, connections, turns, seconds }, machine: { before, after }, targets });
  console.log(`raw results: ${file}`);
});
