import type { StepContext, StepResult } from '../pipeline/pipeline-step.ts';
import { summarizeResults } from './check-result.ts';
import type { CheckProbes } from './evaluate-check.ts';
import { runChecks, type SkipRequest } from './run-checks.ts';

export interface PreDeployCheckOptions {
  /** Checks not to run this time, each with the operator's reason. */
  skip?: readonly SkipRequest[];
  /** Evaluations of the current-release-healthy and deploy-lock-free kinds. */
  probes?: CheckProbes;
  /** A declared probe kind with no function: fail (default) or skip. */
  missingProbe?: 'fail' | 'skip';
}

/**
 * Pipeline step: the `checks:` section. Fails when any check fails; skipped checks are recorded
 * with their reason. Values: `checks` (one CheckResult each), and passed/failed/skipped counts.
 */
export async function runPreDeployChecks(ctx: StepContext, options: PreDeployCheckOptions = {}): Promise<StepResult> {
  const specs = ctx.loaded.config.checks ?? [];
  if (specs.length === 0) return { outcome: 'skipped', values: { checks: [] }, reason: 'cutover.yml declares no checks' };
  const results = await runChecks(ctx.loaded, specs, { ...options, signal: ctx.signal, commandEnv: ctx.commandEnv });
  for (const result of results) ctx.log(`${result.outcome === 'pass' ? 'ok' : result.outcome} ${result.name}: ${result.message}`);
  const { passed, failed, skipped, summary } = summarizeResults(results);
  const values = { checks: results, passed, failed, skipped };
  return failed > 0 ? { outcome: 'failed', values, reason: summary } : { outcome: 'ok', values };
}
