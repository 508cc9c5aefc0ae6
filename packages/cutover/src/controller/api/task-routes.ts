import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CutoverError } from '../../errors/cutover-error.ts';
import type { TaskHost } from '../tasks/task-host.ts';
import type { TaskRunRecord } from '../tasks/task-run-store.ts';
import type { RouteModule } from './controller-api.ts';

export interface TaskRoutesContext {
  /** The controller's task schedulers (null when this controller runs none). */
  tasks: TaskHost | null;
}

/** One line of a task run stream (NDJSON): output as it comes, then the finished run. */
export type TaskRunLine =
  | { kind: 'output'; stream: 'stdout' | 'stderr'; text: string }
  | { kind: 'end'; run: TaskRunRecord }
  | { kind: 'error'; error: Record<string, unknown> };

const runRequestSchema = z.strictObject({ service: z.string().min(1), task: z.string().min(1), actor: z.string().optional() });

/**
 * POST /v1/tasks/run `{ service, task }`: runs the task now in the scheduler that runs its
 * schedule, so its overlap rule covers this run and the scheduled ones alike. Answers NDJSON: the
 * output as it comes, then the finished run. A client that goes away does not stop the run.
 * A service whose tasks this controller does not schedule: CUT_ERR_TASK_NOT_SCHEDULED_HERE.
 */
export const taskRoutes: RouteModule<TaskRoutesContext> = {
  name: 'tasks',
  register(app: FastifyInstance, context) {
    app.post('/v1/tasks/run', async (request, reply) => {
      const parsed = runRequestSchema.safeParse(request.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new CutoverError(
          'CUT_ERR_CONTROLLER_REQUEST',
          `bad task run request: ${issue.path.join('.') || '(body)'}: ${issue.message}`,
          {
            hint: 'ask with "cutover tasks run <name>" of the same version as the controller',
          },
        );
      }
      const { service, task, actor } = parsed.data;
      const tasks = (await context.tasks?.ensure(service)) ?? null;
      if (!tasks) {
        const elsewhere = context.tasks?.heldElsewhere().includes(service) ?? false;
        throw new CutoverError(
          'CUT_ERR_TASK_NOT_SCHEDULED_HERE',
          elsewhere
            ? `the tasks of ${service} are scheduled by a "cutover tasks serve", not by the controller`
            : `the controller schedules no tasks of ${service} (no deployment of it with tasks succeeded through the controller)`,
          { hint: 'cutover tasks run falls back to running the task in its own process' },
        );
      }
      const known = tasks.scheduler.list().map((t) => t.name);
      if (!known.includes(task))
        throw new CutoverError('CUT_ERR_TASK_UNKNOWN', `the serving release of ${service} has no task "${task}"`, {
          hint: `its tasks: ${known.join(', ') || '(none)'}; a task added to cutover.yml is scheduled once a deployment with it succeeded`,
          details: { known },
        });
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      const write = (line: TaskRunLine) => {
        if (!res.destroyed) res.write(`${JSON.stringify(line)}\n`);
      };
      try {
        const run = await tasks.scheduler.runNow(task, { actor, onOutput: (text, stream) => write({ kind: 'output', stream, text }) });
        write({ kind: 'end', run });
      } catch (error) {
        write({
          kind: 'error',
          error: error instanceof CutoverError ? error.toJSON() : { code: 'CUT_ERR_CONTROLLER_REQUEST', message: String(error) },
        });
      }
      res.end();
    });
  },
};
