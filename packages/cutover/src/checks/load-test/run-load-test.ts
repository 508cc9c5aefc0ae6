import type { LoadTestConfig } from '../../config/schema-load-test.ts';
import { describeExit, runCommand, tailLines } from '../../shared/run-process.ts';
import { type CheckOutcome, fail } from '../check-result.ts';
import { judgeLoad, type ReportedFigures } from './judge-load.ts';
import { runOpenLoopLoad } from './open-loop-load.ts';

export interface LoadTestTarget {
  /** Loopback base URLs: the proxy's, or the new instances'. */
  baseUrls: readonly string[];
  /** Where a load command runs, and with what env. */
  cwd: string;
  env: Record<string, string>;
  signal?: AbortSignal;
}

/** Runs the configured load test (the built-in generator or a command) and judges it. */
export async function runLoadTest(config: LoadTestConfig, target: LoadTestTarget): Promise<CheckOutcome> {
  const urls = target.baseUrls.map((base) => `${base.replace(/\/+$/, '')}${config.path}`);
  if (config.command !== undefined) return runLoadCommand(config, urls[0], target);
  if (urls.length === 0) return fail(`no ${config.via === 'instances' ? 'instance' : 'proxy'} URL to send the load to`);
  const figures = await runOpenLoopLoad({
    urls,
    method: config.method,
    headers: config.headers,
    body: config.body,
    ratePerSecond: config.ratePerSecond,
    durationMs: config.durationMs,
    requestTimeoutMs: config.requestTimeoutMs,
    maxInFlight: config.maxInFlight,
    signal: target.signal,
  });
  return judgeLoad(figures, config.success);
}

async function runLoadCommand(config: LoadTestConfig, url: string | undefined, target: LoadTestTarget): Promise<CheckOutcome> {
  const result = await runCommand(config.command!, {
    cwd: target.cwd,
    env: {
      ...process.env,
      ...target.env,
      CUTOVER_LOAD_URL: url ?? '',
      CUTOVER_LOAD_RATE: String(config.ratePerSecond),
      CUTOVER_LOAD_DURATION_MS: String(config.durationMs),
    },
    timeoutMs: config.commandTimeoutMs,
    signal: target.signal,
  });
  const figures = lastJsonLine(result.stdout, config.ratePerSecond);
  if (result.exitCode !== 0) {
    return fail(`the load command ${describeExit(result, config.commandTimeoutMs)}`, {
      ...figures,
      outputTail: tailLines(result.output, 10),
    });
  }
  return judgeLoad(figures, config.success);
}

/** The figures a load command printed as the last line of JSON on stdout ({} when none). */
export function lastJsonLine(stdout: string, offeredRatePerSecond: number): ReportedFigures & Record<string, unknown> {
  for (const line of stdout.trim().split('\n').reverse()) {
    const text = line.trim();
    if (!text.startsWith('{')) continue;
    try {
      const value = JSON.parse(text) as Record<string, unknown>;
      const figures: ReportedFigures & Record<string, unknown> = { ...value };
      // A script may report the rate it reached; over the rate offered it is the rate held.
      if (typeof value.ratePerSecond === 'number' && typeof value.rateRatio !== 'number')
        figures.rateRatio = Math.round((value.ratePerSecond / offeredRatePerSecond) * 1000) / 1000;
      return figures;
    } catch {
      return {};
    }
  }
  return {};
}
