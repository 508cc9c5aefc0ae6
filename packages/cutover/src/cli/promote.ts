import { CutoverError } from '../errors/cutover-error.ts';
import { type Command, EXIT_AGENT_DOWN } from './command.ts';
import { k8sSignal, kubernetesTarget, TARGET_OPTION } from './k8s-target.ts';
import { sendSignal } from './send-signal.ts';

export const promoteCommand: Command = {
  name: 'promote',
  summary: 'move a paused canary or blue-green rollout on (--full: skip every remaining step)',
  usage: 'cutover promote [--full]',
  description:
    'Tells the running canary or blue-green deployment (started by "cutover deploy" elsewhere) to go on:\nit ends the current pause, analysis or manual gate. With --full every remaining step is skipped and\nthe new release is promoted. A promote after an abort does nothing.',
  options: { full: { type: 'boolean', help: 'skip every remaining step and promote now' }, ...TARGET_OPTION },
  exitCodes: { ...EXIT_AGENT_DOWN, 5: 'no rollout is running or waiting' },
  async run(ctx) {
    const { out } = ctx;
    const cluster = kubernetesTarget(ctx);
    if (cluster) return k8sSignal(out, cluster, ctx.options.full ? 'promote-full' : 'promote');
    const delivery = await sendSignal(ctx, ctx.options.full ? 'promote-full' : 'promote');
    if (!delivery.sent) {
      throw new CutoverError('CUT_ERR_DEPLOY_NOT_RUNNING', `nothing to promote: ${delivery.why}`, {
        hint: 'promote acts on a canary or blue-green rollout in progress; "cutover status" shows what runs',
      });
    }
    const { deployment, signal } = delivery;
    out.result({ deploymentId: deployment.id, signal });
    if (signal.outcome === 'ignored') {
      throw new CutoverError('CUT_ERR_DEPLOY_SIGNAL_REFUSED', `deployment ${deployment.id} ignored the promote: ${signal.note}`, {
        hint: '"cutover status" shows where the deployment stands',
      });
    }
    if (signal.outcome === null) out.line(`deployment ${deployment.id}: promote recorded; it applies at the next pause, analysis or gate`);
    else out.line(`deployment ${deployment.id}: promote ${signal.outcome}: ${signal.note}`);
    return 0;
  },
};
