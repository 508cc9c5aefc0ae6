import { formatTable } from '../../packages/cutover/src/cli/table.ts';
import { percentile } from '../../test/e2e/support/load-generator.ts';
import type { AppShape } from './contender.ts';
import type { ContenderRun } from './deploy-run.ts';
import { failureKind, type LatencySummary, ms, ratio, splitByWindows, summarize } from './latency-summary.ts';
import type { SchedulerShare } from './run-queue.ts';
import { describeSlowBuckets, listTailRequests, locateSlowRequests, SLOW_MS, type SlowBucket, type TailRequest } from './slow-requests.ts';

/** One failed request, placed relative to the deploy it happened in (or before the first one: round 0). */
export interface FailureDetail {
  round: number;
  msAfterDeployStart: number;
  kind: string;
  latencyMs: number;
  /** How long the keep-alive socket it went out on had been idle (null: a new socket). */
  socketIdleMs: number | null;
}

export interface ContenderResult {
  name: string;
  rounds: { release: string; wallMs: number; error: string | null; warning: string | null }[];
  generatorDelayMs: { p99: number; max: number };
  roundsDone: number;
  roundsFailed: number;
  inWindow: LatencySummary;
  outside: LatencySummary;
  wallMs: number[];
  medianWallMs: number;
  /** (median deploy wall time − instances × boot delay) / instances. */
  overheadPerInstanceMs: number;
  /** Successful answers from an older release to requests sent after a deploy had returned. */
  oldReleaseAfterSwitch: number;
  /** The first of them: round, when sent relative to the deploy's end, which release answered, latency. */
  oldAfterDetails: { round: number; msAfterDeployEnd: number; release: string | null; latencyMs: number }[];
  failures: FailureDetail[];
  /** Where the successful requests of SLOW_MS or more were sent (slow-requests.ts). */
  slowRequests: SlowBucket[];
  /** The requests at or above each side's p99 (in the windows, outside them), each with its phase and time, and their busiest spans. */
  tail: { inWindow: TailRequest[]; outside: TailRequest[]; outsideSpans: SlowBucket[] };
  /** Odd things noticed in rounds that succeeded, e.g. `round 3: ...`. */
  warnings: string[];
  details: Record<string, unknown>;
  scheduler: ContenderRun['scheduler'];
}

/** Keeps the results file readable when a contender fails thousands of requests. */
const MAX_FAILURE_DETAILS = 2000;

export function analyse(run: ContenderRun, app: AppShape): ContenderResult {
  const windows = run.rounds.map((r) => r.window);
  const { inside, outside } = splitByWindows(run.samples, windows);
  const failures: FailureDetail[] = [];
  let oldReleaseAfterSwitch = 0;
  const oldAfterDetails: ContenderResult['oldAfterDetails'] = [];
  for (const sample of run.samples) {
    const index = windows.findLastIndex((w) => w.start <= sample.sentAt);
    const round = run.rounds[index];
    const afterSwitch = round && !round.error && sample.sentAt > round.window.end;
    // Older only: a slow answer from the next round's newer release is not a stale one.
    const older = sample.release !== null && app.releases.indexOf(sample.release) < app.releases.indexOf(round?.release ?? '');
    if (afterSwitch && sample.outcome === 'ok' && older) {
      oldReleaseAfterSwitch++;
      if (oldAfterDetails.length < MAX_FAILURE_DETAILS)
        oldAfterDetails.push({
          round: index + 1,
          msAfterDeployEnd: Math.round(sample.sentAt - round.window.end),
          release: sample.release,
          latencyMs: Math.round(sample.latencyMs),
        });
    }
    if (sample.outcome !== 'ok' && failures.length < MAX_FAILURE_DETAILS) {
      failures.push({
        round: index + 1,
        msAfterDeployStart: Math.round(sample.sentAt - (round ?? run.rounds[0] ?? { window: { start: sample.sentAt } }).window.start),
        kind: failureKind(sample),
        latencyMs: Math.round(sample.latencyMs),
        socketIdleMs: sample.socketIdleMs === null ? null : Math.round(sample.socketIdleMs),
      });
    }
  }
  const wallMs = run.rounds.filter((r) => !r.error).map((r) => Math.round(r.wallMs));
  const medianWallMs = percentile(wallMs, 0.5);
  const inWindow = summarize(inside);
  const outsideSummary = summarize(outside);
  return {
    name: run.name,
    rounds: run.rounds.map((r) => ({ release: r.release, wallMs: Math.round(r.wallMs), error: r.error, warning: r.warning })),
    generatorDelayMs: { p99: Math.round(run.generatorDelayMs.p99), max: Math.round(run.generatorDelayMs.max) },
    roundsDone: wallMs.length,
    roundsFailed: run.rounds.length - wallMs.length,
    inWindow,
    outside: outsideSummary,
    wallMs,
    medianWallMs,
    overheadPerInstanceMs: (medianWallMs - app.instances * bootOf(app)) / app.instances,
    oldReleaseAfterSwitch,
    oldAfterDetails,
    failures,
    slowRequests: locateSlowRequests(run.samples, windows),
    tail: {
      inWindow: listTailRequests(inside, windows, inWindow.p99Ms),
      outside: listTailRequests(outside, windows, outsideSummary.p99Ms),
      outsideSpans: locateSlowRequests(outside, windows, 5, outsideSummary.p99Ms),
    },
    warnings: run.rounds.flatMap((r, i) => (r.warning ? [`round ${i + 1} (${r.release}): ${r.warning}`] : [])),
    details: run.details,
    scheduler: run.scheduler,
  };
}

/** What one instance's boot takes: as measured in this run when it was, else the configured delay. */
function bootOf(app: AppShape): number {
  return app.measuredBootMs ?? app.bootDelayMs;
}

export function printReport(results: ContenderResult[], skipped: string[], app: AppShape): void {
  console.log(
    formatTable(
      [
        'CONTENDER',
        'DEPLOYS',
        'REQUESTS',
        'FAILED',
        'IN WINDOW',
        'p50 IN',
        'p99 IN',
        'p50 OUT',
        'p99 OUT',
        'WALL p50',
        'WALL MAX',
        'OVERHEAD/INST',
        'OLD AFTER',
        'GEN LAG',
      ],
      results.map((r) => [
        r.name,
        `${r.roundsDone}${r.roundsFailed ? ` (+${r.roundsFailed} failed)` : ''}`,
        r.inWindow.requests + r.outside.requests,
        r.inWindow.failed + r.outside.failed,
        r.inWindow.failed,
        ms(r.inWindow.p50Ms),
        ms(r.inWindow.p99Ms),
        ms(r.outside.p50Ms),
        ms(r.outside.p99Ms),
        ms(r.medianWallMs, 0),
        ms(Math.max(...r.wallMs), 0),
        ms(r.overheadPerInstanceMs, 0),
        r.oldReleaseAfterSwitch,
        `${r.generatorDelayMs.p99}/${r.generatorDelayMs.max}`,
      ]),
    ),
  );
  console.log('latencies in ms, successful requests only; IN = sent while a deploy ran; WALL = deploy wall time in ms;');
  console.log(
    `OVERHEAD/INST = (WALL p50 − instances × app boot) / instances, app boot = ${
      app.measuredBootMs === undefined
        ? `the configured ${app.bootDelayMs} ms`
        : `${Math.round(app.measuredBootMs)} ms, spawn → ready measured in this run (configured delay ${app.bootDelayMs} ms)`
    };`,
  );
  console.log('OLD AFTER = 200s from an older release after the deploy returned;');
  console.log(
    "GEN LAG = the load generator's event-loop delay p99/max in ms (high: the machine was too busy for the figures to mean much).",
  );
  for (const name of skipped) console.log(name);

  const base = results.find((r) => r.name === 'cutover');
  if (base && results.length > 1) {
    console.log('\nRatios vs cutover (contender / cutover; above 1 is worse than cutover):');
    console.log(
      formatTable(
        ['CONTENDER', 'FAILED', 'p99 IN WINDOW', 'p99 OUTSIDE', 'DEPLOY WALL'],
        results.map((r) => [
          r.name,
          base.inWindow.failed + base.outside.failed === 0
            ? `${r.inWindow.failed + r.outside.failed} vs 0`
            : ratio(r.inWindow.failed + r.outside.failed, base.inWindow.failed + base.outside.failed),
          ratio(r.inWindow.p99Ms, base.inWindow.p99Ms),
          ratio(r.outside.p99Ms, base.outside.p99Ms),
          ratio(r.medianWallMs, base.medianWallMs),
        ]),
      ),
    );
  }

  console.log(`\nWhere the requests of ${SLOW_MS} ms or more were sent (the busiest 250 ms spans):`);
  for (const r of results) console.log(`  ${r.name}: ${describeSlowBuckets(r.slowRequests)}`);
  console.log(
    "\nWhere the requests at or above each contender's p99 outside the windows were sent (busiest 250 ms spans; each one is in the results file):",
  );
  for (const r of results)
    console.log(
      `  ${r.name} (p99 out ${ms(r.outside.p99Ms)} ms): ${describeSlowBuckets(r.tail.outsideSpans, Math.round(r.outside.p99Ms))}`,
    );

  console.log(
    '\nCPU and run-queue wait per request over the whole load (µs; /proc/<pid>/schedstat; the wait is time runnable but without a CPU):',
  );
  for (const r of results) {
    const share = (s: SchedulerShare | null) => (s ? `CPU ${ms(s.cpuUsPerRequest, 0)}, waiting ${ms(s.waitUsPerRequest, 0)}` : '-');
    console.log(`  ${r.name}: front process ${share(r.scheduler.front)}; load generator ${share(r.scheduler.generator)}`);
  }

  console.log('\nFailed requests by kind:');
  for (const r of results) {
    const kinds = { ...r.inWindow.failures };
    for (const [kind, count] of Object.entries(r.outside.failures)) kinds[kind] = (kinds[kind] ?? 0) + count;
    const list = Object.entries(kinds).map(([kind, count]) => `${kind}: ${count}`);
    const offsets = r.failures.map((f) => f.msAfterDeployStart);
    const when = offsets.length > 0 ? ` (sent ${Math.min(...offsets)} to ${Math.max(...offsets)} ms after a deploy started)` : '';
    console.log(`  ${r.name}: ${list.length > 0 ? list.join(', ') : 'none'}${when}`);
  }
  for (const r of results) for (const warning of r.warnings) console.log(`  ${r.name} warning, ${warning}`);
  for (const r of results)
    for (const old of r.oldAfterDetails.slice(0, 5))
      console.log(
        `  ${r.name}: round ${old.round}, sent ${old.msAfterDeployEnd} ms after the deploy returned, answered by ${old.release} in ${old.latencyMs} ms`,
      );
  if (base) printCutoverDetails(base, app);
}

interface CutoverDeployment {
  id: number;
  state: string;
  reason: string | null;
  recordedMs: number;
  batches: { joinedPoolMs: (number | null)[] }[];
}

function printCutoverDetails(result: ContenderResult, app: AppShape): void {
  const deployments = (result.details.deployments as CutoverDeployment[] | undefined) ?? [];
  const joined = deployments.flatMap((d) => d.batches.flatMap((b) => b.joinedPoolMs)).filter((v): v is number => v !== null);
  const recorded = deployments.filter((d) => d.state === 'succeeded').map((d) => d.recordedMs);
  console.log('\ncutover, from `cutover history <id> --json`:');
  console.log(
    `  new instance healthy → in the traffic pool (joinedPoolMs): p50 ${ms(percentile(joined, 0.5), 0)} ms, max ${ms(Math.max(...joined), 0)} ms over ${joined.length} instances`,
  );
  console.log(
    `  deploy time in the record (start → end, no CLI start-up): p50 ${ms(percentile(recorded, 0.5), 0)} ms; CLI wall time p50 ${ms(result.medianWallMs, 0)} ms`,
  );
  const recordOverhead = (percentile(recorded, 0.5) - app.instances * bootOf(app)) / app.instances;
  console.log(
    `  overhead beyond boot per instance: ${ms(result.overheadPerInstanceMs, 0)} ms by wall time, ${ms(recordOverhead, 0)} ms by record`,
  );
  if (result.failures.length > 0) {
    console.log('  failed requests (round, ms after that deploy started, kind, latency, idle time of the reused socket):');
    for (const f of result.failures.slice(0, 30)) {
      const idle = f.socketIdleMs === null ? '' : `, socket idle ${f.socketIdleMs} ms`;
      console.log(`    round ${f.round} +${f.msAfterDeployStart} ms: ${f.kind} after ${f.latencyMs} ms${idle}`);
    }
    if (result.failures.length > 30) console.log(`    ... ${result.failures.length - 30} more in the results file`);
  }
  const counters = (result.details.counters as Record<string, { proxyErrors: number }> | undefined) ?? {};
  console.log(`  proxy-generated errors in the agent's counters: ${Object.values(counters).reduce((n, c) => n + c.proxyErrors, 0)}`);
  for (const d of deployments.filter((d) => d.state !== 'succeeded')) console.log(`  deployment ${d.id} ${d.state}: ${d.reason}`);
}
