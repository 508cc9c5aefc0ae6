import type { Contender } from './contender.ts';
import type { TimeWindow } from './latency-summary.ts';
import { type LoadResult, type LoadSample, startOpenLoopLoad } from './open-loop-load.ts';
import { sleep } from './processes.ts';
import { perRequest, type SchedulerShare, schedulerMs } from './run-queue.ts';

export interface LoadShape {
  ratePerSec: number;
  newConnectionShare: number;
  /** Load before the first deploy, between deploys and after the last one. */
  settleMs: number;
  /** See OpenLoopOptions.idleSocketTimeoutMs. */
  idleSocketTimeoutMs: number;
}

export interface DeployRound {
  release: string;
  /** From the deploy command's start to its end (performance.now()). */
  window: TimeWindow;
  wallMs: number;
  /** What the tool reported when the deploy failed (the remaining rounds are then skipped). */
  error: string | null;
  /** Something odd the contender noticed although the deploy succeeded. */
  warning: string | null;
}

export interface ContenderRun {
  name: string;
  rounds: DeployRound[];
  samples: LoadSample[];
  /** The load generator's own event-loop delay (p99, max): high values mean the machine was too busy to trust the figures. */
  generatorDelayMs: { p99: number; max: number };
  details: Record<string, unknown>;
  /** CPU and run-queue wait per request over the whole load: the load generator's own, and the contender's front process's. */
  scheduler: { generator: SchedulerShare | null; front: SchedulerShare | null };
}

/**
 * Starts the first release, then keeps one open-loop load running while it deploys each following
 * release in turn, with `settleMs` of load before, between and after the deploys.
 */
export async function runContender(contender: Contender, releases: string[], load: LoadShape): Promise<ContenderRun> {
  await contender.start(releases[0]);
  const frontPid = contender.frontPid?.();
  const generatorBefore = schedulerMs(process.pid);
  const frontBefore = frontPid ? schedulerMs(frontPid) : null;
  const traffic = startOpenLoopLoad({ url: contender.url, ...load });
  const rounds: DeployRound[] = [];
  let result: LoadResult;
  try {
    await sleep(load.settleMs);
    for (const release of releases.slice(1)) {
      const start = performance.now();
      let error: string | null = null;
      const note = await contender.deploy(release).catch((e: Error) => {
        error = e.message;
      });
      const end = note?.endedAt ?? performance.now();
      const warning = note?.warning ?? null;
      rounds.push({ release, window: { start, end }, wallMs: end - start, error, warning });
      const outcome = error ? `FAILED ${error}` : `${Math.round(end - start)} ms${warning ? ` (${warning})` : ''}`;
      process.stdout.write(`  ${release}: ${outcome}\n`);
      await sleep(load.settleMs);
      if (error) break;
    }
  } finally {
    result = await traffic.stop();
  }
  const scheduler = {
    generator: perRequest(generatorBefore, schedulerMs(process.pid), result.samples.length),
    front: frontPid ? perRequest(frontBefore, schedulerMs(frontPid), result.samples.length) : null,
  };
  return {
    name: contender.name,
    rounds,
    samples: result.samples,
    generatorDelayMs: { p99: result.eventLoopDelayP99Ms, max: result.eventLoopDelayMaxMs },
    details: await contender.details(),
    scheduler,
  };
}
