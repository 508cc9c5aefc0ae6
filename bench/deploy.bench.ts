/**
 * Zero-downtime deploys side by side, in one run, under the same open-loop load on 127.0.0.1:
 *   - cutover: `cutover deploy <release>` (rolling, defaults) through cutover's proxy;
 *   - PM2 cluster mode: `pm2 reload` (private PM2_HOME, `pm2 kill` at the end);
 *   - nginx: new instances, upstream rewrite, `nginx -s reload`, old instances stopped (when nginx is installed).
 * Each runs the demo app (2 instances, 300 ms boot by default) and deploys `--rounds` new releases in a row.
 * Run: npm run bench:deploy -- [--rate 1000] [--rounds 5] [--instances 2] [--boot-delay-ms 300]
 *        [--new-connection-share 0.3] [--settle-ms 2000] [--client-idle-timeout-ms 5000] [--only cutover,pm2,nginx]
 * --client-idle-timeout-ms 0 keeps idle keep-alive sockets until the server closes them (see bench/README.md).
 * Prints a table and writes the raw results to bench/results/deploy-<time>.json.
 */
import { parseArgs } from 'node:util';
import { percentile } from '../test/e2e/support/load-generator.ts';
import { measureAppBoot } from './support/app-boot.ts';
import { runBench } from './support/cleanup.ts';
import type { AppShape, Contender } from './support/contender.ts';
import { CutoverContender } from './support/cutover-contender.ts';
import { analyse, type ContenderResult, printReport } from './support/deploy-report.ts';
import { type ContenderRun, type LoadShape, runContender } from './support/deploy-run.ts';
import { findNginx } from './support/nginx.ts';
import { NginxContender } from './support/nginx-contender.ts';
import { Pm2Contender } from './support/pm2-contender.ts';
import { machine, writeResults } from './support/results-file.ts';
import { warmGenerator } from './support/warm-generator.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '5' },
    instances: { type: 'string', default: '2' },
    'boot-delay-ms': { type: 'string', default: '300' },
    'new-connection-share': { type: 'string', default: '0.3' },
    'settle-ms': { type: 'string', default: '2000' },
    'client-idle-timeout-ms': { type: 'string', default: '5000' },
    only: { type: 'string', default: 'cutover,pm2,nginx' },
  },
});
const rounds = positive('rounds');
const app: AppShape = {
  instances: positive('instances'),
  bootDelayMs: Number(values['boot-delay-ms']),
  releases: Array.from({ length: rounds + 1 }, (_, i) => `v${i + 1}`),
};
const load: LoadShape = {
  ratePerSec: positive('rate'),
  newConnectionShare: Number(values['new-connection-share']),
  settleMs: Number(values['settle-ms']),
  idleSocketTimeoutMs: Number(values['client-idle-timeout-ms']),
};
const only = new Set(values.only.split(','));

function positive(name: 'rate' | 'rounds' | 'instances'): number {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer (got ${values[name]})`);
  return value;
}

const GENERATOR_WARMUP_MS = 1000;

// Generous: a deploy takes seconds; this only stops a bench that hangs.
const maxMs = 120_000 + rounds * 3 * (load.settleMs + 30_000);

await runBench(maxMs, async (cleanup) => {
  const before = machine();
  console.log(
    `Deploys under load: ${load.ratePerSec} req/s open loop (${Math.round(load.newConnectionShare * 100)}% on new connections), ` +
      `${app.instances} instances with a ${app.bootDelayMs} ms boot, ${rounds} deploys per contender, ${load.settleMs} ms of load between them`,
  );
  console.log(
    load.idleSocketTimeoutMs > 0
      ? `keep-alive clients drop idle sockets after ${load.idleSocketTimeoutMs} ms or 1 s before the server's Keep-Alive hint`
      : 'keep-alive clients keep idle sockets until the server closes them',
  );
  console.log(`${before.cpus} cores (${before.cpuModel}), load average ${before.loadAverage.join(' ')}\n`);

  const skipped: string[] = [];
  const contenders: (() => Contender)[] = [];
  if (only.has('cutover')) contenders.push(() => new CutoverContender(app));
  if (only.has('pm2')) contenders.push(() => new Pm2Contender(app));
  const nginx = findNginx();
  if (only.has('nginx')) {
    if (nginx) contenders.push(() => new NginxContender(app, nginx));
    else skipped.push('nginx not installed: skipped');
  }

  // The app's real boot, before and after the contenders (no load running): subtracted from the wall time.
  const BOOT_SAMPLES = 5;
  const boots = await measureAppBoot(app.bootDelayMs, BOOT_SAMPLES);
  // The same load against a local server first, so that no contender gets the generator's cold start.
  await warmGenerator(load, GENERATOR_WARMUP_MS);
  console.log(`load generator warmed for ${GENERATOR_WARMUP_MS} ms against a local server (results not counted)\n`);
  const runs: ContenderRun[] = [];
  for (const make of contenders) {
    const contender = make();
    const stop = cleanup.add(contender.name, () => contender.stop());
    console.log(`${contender.name}:`);
    const run = await runContender(contender, app.releases, load);
    await stop();
    runs.push(run);
  }
  boots.push(...(await measureAppBoot(app.bootDelayMs, BOOT_SAMPLES)));
  app.measuredBootMs = percentile(boots, 0.5);
  const results: ContenderResult[] = runs.map((run) => analyse(run, app));
  console.log(
    `\napp boot (spawn → 200 on /up, no load): p50 ${Math.round(app.measuredBootMs)} ms over ${boots.length} boots (${boots.map(Math.round).join(', ')})`,
  );

  const after = machine();
  console.log();
  printReport(results, skipped, app);
  console.log(`\nload average at the end ${after.loadAverage.join(' ')} (a shared machine makes these figures noisy)`);
  const file = writeResults('deploy', { options: { app, load, rounds }, appBootMs: boots, machine: { before, after }, skipped, results });
  console.log(`raw results: ${file}`);
});
