import type { FastifyInstance } from 'fastify';
import { CutoverError } from '../../errors/cutover-error.ts';
import type { DeploymentStore, EventRecord, StepRecord } from '../../store/deployment-store.ts';
import type { DeploymentReconciler } from '../deployment-reconciler.ts';
import { submissionSchema } from '../deployment-submission.ts';
import type { RouteModule } from './controller-api.ts';

/**
 * How often a follow stream looks for new steps and events that no write of this process announced
 * (a deployment another process runs); the controller's own writes wake it at once.
 */
export const FOLLOW_POLL_MS = 50;

export interface DeploymentRoutesContext {
  store: DeploymentStore;
  deployments: DeploymentReconciler;
  /** Default FOLLOW_POLL_MS. */
  followPollMs?: number;
}

/** A step boundary becomes a step line (with the step as recorded then), any other event an event line. */
function lineOf(store: DeploymentStore, event: EventRecord): FollowLine {
  const stepId = event.data.stepId;
  if ((event.type === 'step:started' || event.type === 'step:ended') && typeof stepId === 'number') {
    const step = store.step(stepId);
    if (step) return { kind: 'step', step: event.type === 'step:started' ? { ...step, outcome: 'running', endedAt: null } : step };
  }
  return { kind: 'event', ...event };
}

/** One line of a follow stream (NDJSON). */
export type FollowLine =
  | { kind: 'step'; step: StepRecord }
  | { kind: 'event'; id: number; at: number; type: string; data: Record<string, unknown> }
  | { kind: 'end'; deploymentId: number; state: string };

/**
 * POST /v1/deployments: submit (answers once recorded and holding the lock: `{ deploymentId }`).
 * GET /v1/deployments/:id/follow?afterEvent=N: its steps and events as NDJSON lines until it
 * ends; a follower that goes away early is recorded (`follower:detached`), the deployment goes on.
 */
export const deploymentRoutes: RouteModule<DeploymentRoutesContext> = {
  name: 'deployments',
  register(app: FastifyInstance, { store, deployments, followPollMs = FOLLOW_POLL_MS }) {
    app.post('/v1/deployments', async (request, reply) => {
      const parsed = submissionSchema.safeParse(request.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new CutoverError(
          'CUT_ERR_CONTROLLER_REQUEST',
          `bad deployment submission: ${issue.path.join('.') || '(body)'}: ${issue.message}`,
          {
            hint: 'submit with "cutover deploy" of the same version as the agent',
          },
        );
      }
      const deploymentId = await deployments.submit(parsed.data);
      return reply.code(201).send({ deploymentId });
    });

    app.get<{ Params: { id: string } }>('/v1/deployments/:id', async (request) => {
      const record = store.deployment(Number(request.params.id));
      if (!record) throw new CutoverError('CUT_ERR_DEPLOY_NOT_FOUND', `no deployment ${request.params.id} is recorded`);
      return { deployment: record, runsHere: deployments.running().includes(record.id) };
    });

    app.get<{ Params: { id: string }; Querystring: { afterEvent?: string } }>('/v1/deployments/:id/follow', (request, reply) => {
      const id = Number(request.params.id);
      if (store.deploymentState(id) === undefined) throw new CutoverError('CUT_ERR_DEPLOY_NOT_FOUND', `no deployment ${id} is recorded`);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      let afterEvent = Number(request.query.afterEvent ?? 0);
      let ended = false;
      const write = (line: FollowLine) => res.write(`${JSON.stringify(line)}\n`);
      const tick = () => {
        if (ended) return;
        const state = store.deploymentState(id);
        for (let batch = store.eventsAfter(id, afterEvent); batch.length > 0; batch = store.eventsAfter(id, afterEvent)) {
          for (const event of batch) {
            afterEvent = event.id;
            write(lineOf(store, event));
          }
        }
        if (state !== 'running') {
          ended = true;
          write({ kind: 'end', deploymentId: id, state: state ?? 'unknown' });
          res.end();
          return;
        }
        timer = setTimeout(tick, followPollMs);
      };
      let timer = setTimeout(tick, 0);
      // One wake per burst of writes: the tick reads every new event.
      let waking = false;
      const unhook = store.onEventAdded((deploymentId) => {
        if (deploymentId !== id || ended || waking) return;
        waking = true;
        setImmediate(() => {
          waking = false;
          clearTimeout(timer);
          tick();
        });
      });
      res.on('close', () => {
        unhook();
        clearTimeout(timer);
        if (ended) return;
        ended = true;
        if (store.deploymentState(id) === 'running')
          store.addEvent(id, 'follower:detached', { note: 'the command following it went away; the deployment goes on' });
      });
    });
  },
};
