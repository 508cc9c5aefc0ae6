import type { DependencyCheckSpec, ValidationHttpConfig } from '../config/schema-checks.ts';
import type { StepContext, StepResult } from '../pipeline/pipeline-step.ts';
import { type CheckOutcome, type CheckResult, fail, summarizeResults } from './check-result.ts';
import { type CountersFn, measureErrorRate } from './error-rate.ts';
import { errorText } from './error-text.ts';
import { probeHttp } from './http-probe.ts';
import { runLoadTest } from './load-test/run-load-test.ts';
import { runChecks } from './run-checks.ts';

/** What only the controller knows after the switch. */
export interface ValidationDeps {
  /** The proxy's base URL for this service, e.g. http://127.0.0.1:8080 (needed by checks with via proxy/both). */
  proxyBaseUrl?: string;
  /** Base URLs of the new release's instances (needed by checks with via instances/both). */
  instanceUrls?: readonly string[];
  /** Cumulative counters of a release from the proxy (needed by validation.errorRate). */
  counters?: CountersFn;
}

/**
 * Pipeline step after the switch: the `validation:` section. HTTP checks through the proxy and on
 * each new instance, dependency checks, and the 5xx rate over a window, all concurrently. Values:
 * `checks` (CheckResult each, error rate included as kind "error-rate") and counts.
 */
export async function runValidation(ctx: StepContext, deps: ValidationDeps): Promise<StepResult> {
  const config = ctx.loaded.config.validation;
  if (config === undefined) return { outcome: 'skipped', values: { checks: [] }, reason: 'cutover.yml has no validation section' };
  const work: Promise<CheckResult[]>[] = [];
  for (const check of config.http) work.push(...httpChecks(check, deps).map((p) => p.then((r) => [r])));
  if (config.dependencies.length > 0)
    work.push(
      runChecks(ctx.loaded, config.dependencies satisfies readonly DependencyCheckSpec[], {
        signal: ctx.signal,
        commandEnv: ctx.commandEnv,
      }),
    );
  const errorRate = config.errorRate;
  if (errorRate !== undefined) {
    work.push(
      timed('error-rate', 'error-rate', async () => {
        if (deps.counters === undefined) return fail('validation.errorRate is configured but the caller passed no counters function');
        return measureErrorRate(deps.counters, ctx.release, errorRate, ctx.signal);
      }).then((r) => [r]),
    );
  }
  const loadTest = config.loadTest;
  if (loadTest !== undefined) {
    const baseUrls = loadTest.via === 'instances' ? (deps.instanceUrls ?? []) : deps.proxyBaseUrl ? [deps.proxyBaseUrl] : [];
    work.push(
      timed(loadTest.name ?? 'load-test', 'load-test', async () => {
        // A load command runs with the release's env and secrets, like the release's own scripts.
        const env = { ...ctx.loaded.env, ...(ctx.commandEnv ? await ctx.commandEnv() : {}) };
        return runLoadTest(loadTest, { baseUrls, cwd: ctx.releaseDir ?? ctx.loaded.root, env, signal: ctx.signal });
      }).then((r) => [r]),
    );
  }
  const results = (await Promise.all(work)).flat();
  for (const result of results) ctx.log(`${result.outcome === 'pass' ? 'ok' : result.outcome} ${result.name}: ${result.message}`);
  const { passed, failed, skipped, summary } = summarizeResults(results);
  const values = { checks: results, passed, failed, skipped };
  return failed > 0 ? { outcome: 'failed', values, reason: summary } : { outcome: 'ok', values };
}

function httpChecks(check: ValidationHttpConfig, deps: ValidationDeps): Promise<CheckResult>[] {
  const name = check.name ?? `${check.method} ${check.path}`;
  const runs: Promise<CheckResult>[] = [];
  if (check.via !== 'instances') {
    runs.push(
      timed(`${name}@proxy`, 'http', () =>
        deps.proxyBaseUrl === undefined
          ? Promise.resolve(fail('no proxy URL was passed to validation'))
          : probeWithRetries(check, deps.proxyBaseUrl),
      ),
    );
  }
  if (check.via !== 'proxy') {
    const instances = deps.instanceUrls ?? [];
    if (instances.length === 0)
      runs.push(timed(`${name}@instances`, 'http', async () => fail('no instance URLs were passed to validation')));
    for (const base of instances) runs.push(timed(`${name}@${base}`, 'http', () => probeWithRetries(check, base)));
  }
  return runs;
}

/** Joins a base URL and a path without doubling or dropping the slash. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

async function probeWithRetries(check: ValidationHttpConfig, base: string): Promise<CheckOutcome> {
  let outcome: CheckOutcome = fail('not attempted');
  for (let attempt = 1; attempt <= check.attempts; attempt++) {
    outcome = await probeHttp({ ...check, url: joinUrl(base, check.path) });
    if (outcome.outcome === 'pass') break;
    if (attempt < check.attempts) await new Promise((r) => setTimeout(r, check.retryDelayMs));
  }
  if (check.attempts > 1 && outcome.outcome === 'fail')
    outcome = { ...outcome, message: `${outcome.message} (after ${check.attempts} attempts)` };
  return outcome;
}

async function timed(name: string, kind: string, work: () => Promise<CheckOutcome>): Promise<CheckResult> {
  const startedAt = performance.now();
  const outcome = await work().catch((error: unknown) => fail(`check crashed: ${errorText(error)}`));
  return {
    name,
    kind,
    outcome: outcome.outcome,
    measured: outcome.measured ?? null,
    threshold: outcome.threshold ?? null,
    durationMs: Math.round(performance.now() - startedAt),
    message: outcome.message,
  };
}
