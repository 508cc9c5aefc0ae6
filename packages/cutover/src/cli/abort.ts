import { CutoverError } from '../errors/cutover-error.ts';
import { type Command, EXIT_AGENT_DOWN } from './command.ts';
import { sendSignal } from './send-signal.ts';

export const abortCommand: Command = {
  name: 'abort',
  summary: 'stop a running canary or blue-green rollout: every request back on the stable release at once',
  usage: 'cutover abort',
  description:
    'Tells the running canary or blue-green deployment to abort: all traffic goes back to the stable\nrelease in one switch, then the new release drains and stops. Returns once traffic is back.\nAborting twice, or when nothing runs, is harmless.',
  exitCodes: { ...EXIT_AGENT_DOWN, 5: 'no rollout is running' },
  async run(ctx) {
    const { out } = ctx;
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
