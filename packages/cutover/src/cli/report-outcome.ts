import type { DeployOutcome } from '../controller/run-deployment.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { failedInstanceOutput } from './instance-output-tail.ts';
import type { Output } from './output.ts';
import { formatMs } from './output.ts';

/**
 * Prints the end of a deployment and maps it to the exit code. With the data directory, a failure
 * shows the last output of the instances that failed.
 */
export async function reportOutcome(out: Output, outcome: DeployOutcome, dataDir?: string): Promise<number> {
  const { record } = outcome;
  const took = formatMs((record.endedAt ?? Date.now()) - record.startedAt);
  if (outcome.state === 'succeeded') {
    out.result({ deployment: record });
    out.line(`deployment ${record.id}: ${record.fromRelease ?? '(nothing)'} → ${record.toRelease} succeeded in ${took}`);
    return 0;
  }
  const output = dataDir ? await failedInstanceOutput(dataDir, record.service, outcome.reason) : {};
  const shown = Object.entries(output)
    .map(([id, lines]) => `\nlast output of ${id}:\n${lines.map((line) => `  ${line}`).join('\n')}`)
    .join('');
  const error = new CutoverError(
    'CUT_ERR_DEPLOY_FAILED',
    `deployment ${record.id} of ${record.toRelease} ${outcome.state === 'rolled_back' ? `was rolled back to ${record.rolledBackTo}` : 'failed'}: ${outcome.reason}${shown}`,
    {
      hint: `see "cutover history ${record.id}" for every step and "cutover logs" for the instances' output`,
      details: { deploymentId: record.id, state: outcome.state, instanceOutput: output },
    },
  );
  return out.failure({ deployment: record }, error);
}
