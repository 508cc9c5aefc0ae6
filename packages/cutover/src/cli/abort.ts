import { CutoverError } from '../errors/cutover-error.ts';
import { type Command, EXIT_AGENT_DOWN } from './command.ts';
import { k8sSignal, kubernetesTarget, TARGET_OPTION } from './k8s-target.ts';
import { sendSignal } from './send-signal.ts';

export const abortCommand: Command = {
  name: 'abort',
  summary: 'stop a running deployment: every request back on the previous release (at once for canary and blue-green)',
  usage: 'cutover abort',
  description: [
    'Tells the running deployment (in the controller) to abort. A canary or blue-green rollout puts all',
    'traffic back on the stable release in one switch, then the new release drains and stops; a rolling',
    'deploy brings the previous release back to full capacity through its health checks, then drains the',
    'new instances. Returns once the deployment answered (up to 15 s). Aborting twice, or when nothing',
    'runs, is harmless; once the rollout is over it is too late (use "cutover rollback").',
  ].join('\n'),
  options: TARGET_OPTION,
  exitCodes: { ...EXIT_AGENT_DOWN, 5: 'no rollout is running' },
  async run(ctx) {
    const { out } = ctx;
    const cluster = kubernetesTarget(ctx);
    if (cluster) return k8sSignal(out, cluster, 'abort');
    const delivery = await sendSignal(ctx, 'abort');
    if (!delivery.sent) {
      out.result({ deploymentId: delivery.deployment?.id ?? null, signal: null });
      out.line(`nothing to abort: ${delivery.why}`);
      return 0;
    }
    const { deployment, signal } = delivery;
    out.result({ deploymentId: deployment.id, signal });
    if (signal.outcome === 'ignored') {
      throw new CutoverError('CUT_ERR_DEPLOY_SIGNAL_REFUSED', `deployment ${deployment.id} could not abort: ${signal.note}`, {
        hint: 'once it ends, "cutover rollback" goes back to the previous release',
      });
    }
    if (signal.outcome === null)
      out.line(`deployment ${deployment.id}: abort recorded; it has not answered yet ("cutover status" shows it)`);
    else out.line(`deployment ${deployment.id}: abort ${signal.outcome}: ${signal.note}`);
    return 0;
  },
};
