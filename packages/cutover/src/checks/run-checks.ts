import type { LoadedConfig } from '../config/load-config.ts';
import type { CheckSpec } from '../config/schema-checks.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { assignCheckNames } from './check-name.ts';
import { type CheckOutcome, type CheckResult, fail } from './check-result.ts';
import { errorText } from './error-text.ts';
import { type CheckEnvironment, evaluateCheck } from './evaluate-check.ts';

/** A check the operator chose not to run this time, and why (kept in the record). */
export interface SkipRequest {
  name: string;
  reason: string;
}

export interface RunChecksOptions extends Omit<CheckEnvironment, 'loaded'> {
  skip?: readonly SkipRequest[];
}

/** Slack past a check's own timeout before the runner gives up on it: no check can hang a deploy. */
export const CHECK_DEADLINE_GRACE_MS = 1_000;

/**
 * Runs the checks concurrently and returns one result per check, in config order. Skips must name
 * declared checks (a typo would otherwise skip nothing silently).
 */
export async function runChecks(loaded: LoadedConfig, specs: readonly CheckSpec[], options: RunChecksOptions = {}): Promise<CheckResult[]> {
  const names = assignCheckNames(specs);
  const skips = new Map((options.skip ?? []).map((s) => [s.name, s.reason]));
  const unknown = [...skips.keys()].filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw new CutoverError('CUT_ERR_CHECK_UNKNOWN_SKIP', `no check named ${unknown.map((n) => `"${n}"`).join(', ')}`, {
      hint: `the checks are: ${names.join(', ') || '(none)'}`,
      details: { unknown, names },
    });
  }
  // The checks run at once: they share one read of the release's env and secrets (a secret's
  // command runs once for the step, not once per check that needs it).
  const readEnv = options.commandEnv;
  let released: Promise<Record<string, string>> | undefined;
  const commandEnv = readEnv && (() => (released ??= readEnv()));
  return Promise.all(
    specs.map(async (spec, index): Promise<CheckResult> => {
      const name = names[index];
      const reason = skips.get(name);
      if (reason !== undefined) {
        return { name, kind: spec.kind, outcome: 'skipped', measured: null, threshold: null, durationMs: 0, message: `skipped: ${reason}` };
      }
      const startedAt = performance.now();
      const outcome = await withDeadline(evaluateCheck(spec, { ...options, loaded, commandEnv }), spec.timeoutMs + CHECK_DEADLINE_GRACE_MS);
      return {
        name,
        kind: spec.kind,
        outcome: outcome.outcome,
        measured: outcome.measured ?? null,
        threshold: outcome.threshold ?? null,
        durationMs: Math.round(performance.now() - startedAt),
        message: outcome.message,
      };
    }),
  );
}

async function withDeadline(work: Promise<CheckOutcome>, deadlineMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => resolve(fail(`did not finish within ${deadlineMs}ms`, null, { timeoutMs: deadlineMs })), deadlineMs);
  });
  try {
    return await Promise.race([work.catch((error: unknown) => fail(`check crashed: ${errorText(error)}`)), late]);
  } finally {
    clearTimeout(timer);
  }
}
