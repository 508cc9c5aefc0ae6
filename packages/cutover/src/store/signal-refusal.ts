import { CutoverError } from '../errors/cutover-error.ts';
import type { SignalKind } from './deployment-signals.ts';
import type { DeploymentRecord } from './deployment-store.ts';

/**
 * Refuses a promote or abort that the running deployment could not act on, the same way for the CLI
 * and the dashboard: a rolling deploy has no step to promote (it takes an abort), and a rollout that
 * is over takes neither. `hint` says what to do instead, in the words of the asker's surface.
 */
export function refuseSignal(running: DeploymentRecord, kind: SignalKind, hint: string): void {
  const verb = kind === 'abort' ? 'abort' : 'promote';
  const rollout = running.steps.find((step) => step.name === 'rollout');
  if (running.facts.strategy === 'rolling' && kind !== 'abort')
    throw new CutoverError('CUT_ERR_DEPLOY_SIGNAL_REFUSED', `deployment ${running.id} is a rolling deploy, which has no steps to ${verb}`, {
      hint,
    });
  if (rollout?.endedAt)
    throw new CutoverError(
      'CUT_ERR_DEPLOY_SIGNAL_REFUSED',
      `the rollout of deployment ${running.id} is over (${rollout.outcome}); there is nothing left to ${verb}`,
      { hint },
    );
}
