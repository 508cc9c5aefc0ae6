/**
 * What to do when an instance exits on its own: restart after a backoff, or give up.
 * Pure; the supervisor keeps the exit history and the timer.
 *
 * Backoff doubles with each exit still inside the window (backoffMs, 2×, 4× … capped at
 * maxBackoffMs) with ±RESTART_JITTER_RATIO jitter, so instances that crash together do not
 * restart in lockstep. More than maxRestarts exits within windowMs means a crash loop: fail.
 */
import type { RestartPolicyConfig } from '../../config/schema.ts';

/** Jitter applied to each backoff, as a fraction of it (default ±10%). */
export const RESTART_JITTER_RATIO = 0.1;

export type RestartDecision = { action: 'restart'; delayMs: number; attempt: number } | { action: 'fail'; reason: string };

export interface RestartPlan {
  decision: RestartDecision;
  /** Exit times still inside the window, this exit included: feed them back next time. */
  recentExitsMs: number[];
}

/** `random` returns a number in [0, 1); tests pass a constant. */
export function planRestart(
  policy: RestartPolicyConfig,
  previousExitsMs: readonly number[],
  nowMs: number,
  random: () => number = Math.random,
): RestartPlan {
  const recentExitsMs = [...previousExitsMs.filter((at) => nowMs - at < policy.windowMs), nowMs];
  const exits = recentExitsMs.length;
  if (exits > policy.maxRestarts) {
    const reason =
      policy.maxRestarts === 0
        ? 'exited and restarts are disabled (maxRestarts: 0)'
        : `crash loop: exited ${exits} times within ${policy.windowMs} ms (maxRestarts: ${policy.maxRestarts})`;
    return { decision: { action: 'fail', reason }, recentExitsMs };
  }
  const baseMs = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (exits - 1));
  const jittered = baseMs * (1 + RESTART_JITTER_RATIO * (2 * random() - 1));
  const delayMs = Math.max(0, Math.min(policy.maxBackoffMs, Math.round(jittered)));
  return { decision: { action: 'restart', delayMs, attempt: exits }, recentExitsMs };
}
