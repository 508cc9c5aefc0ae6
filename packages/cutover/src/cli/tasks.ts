import { agentPaths } from '../agent/agent-paths.ts';
import { loadConfig } from '../config/load-config.ts';
import { ControllerClient } from '../controller/controller-client.ts';
import { acquireTaskLease } from '../controller/tasks/task-lease.ts';
import { SqliteTaskRunStore, type TaskRunRecord } from '../controller/tasks/task-run-store.ts';
import { summarizeTask } from '../controller/tasks/task-scheduler.ts';
import { openTaskService } from '../controller/tasks/task-service.ts';
import { CutoverError, isCutoverError } from '../errors/cutover-error.ts';
import { AgentClient } from '../platform/agent-client.ts';
import { DeploymentStore } from '../store/deployment-store.ts';
import type { Command } from './command.ts';
import { formatMs, type Output } from './output.ts';
import { formatTable } from './table.ts';
import { reportRun, streamOutput } from './task-run-report.ts';

const SUBCOMMANDS = ['list', 'run', 'history', 'serve'] as const;

export const tasksCommand: Command = {
  name: 'tasks',
  summary: 'scheduled tasks: each with its last and next run; run one now; their history',
  usage: 'cutover tasks [list | run <name> | history [name] | serve] [--limit N] [--json]',
  description: [
    'cutover tasks                 every task of cutover.yml with its schedule, last run and next run',
    'cutover tasks run <name>      run a task now in the serving release, showing its output; exits with its exit code.',
    "                              The controller runs it (under the task's overlap rule); with none, this process does",
    'cutover tasks history [name]  the recorded runs (skipped starts and `cutover run` commands included), newest first',
    'cutover tasks serve           run the schedules in this terminal until Ctrl-C (what the controller does)',
  ].join('\n'),
  options: { limit: { type: 'string', short: 'n', help: 'history: how many runs to list (default 20)' } },
  async run({ args, options, out, cwd }) {
    const [sub = 'list', ...rest] = args;
    if (!SUBCOMMANDS.includes(sub as (typeof SUBCOMMANDS)[number])) {
      throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `unknown tasks subcommand "${sub}"`, {
        hint: `use one of: ${SUBCOMMANDS.join(', ')} (cutover tasks --help)`,
      });
    }
    const loaded = loadConfig(cwd, options.config as string | undefined);
    const service = loaded.config.service;
    const known = Object.keys(loaded.config.tasks);
    const requireTask = (name: string | undefined): string => {
      if (name && name in loaded.config.tasks) return name;
      throw new CutoverError('CUT_ERR_TASK_UNKNOWN', name ? `no task "${name}" in ${loaded.file}` : 'tasks run needs a task name', {
        hint: known.length ? `known tasks: ${known.join(', ')}` : 'declare one under tasks: in cutover.yml (docs/tasks.md)',
        details: { known },
      });
    };
    if (sub === 'run') return runTask(out, loaded, requireTask(rest[0]));
    if (sub === 'serve') return serve(out, loaded);
    const store = new SqliteTaskRunStore(agentPaths(loaded.dataDir).deploymentsDb);
    try {
      if (sub === 'history') {
        const name = rest[0] === undefined ? undefined : requireTask(rest[0]);
        const limit = Number(options.limit ?? 20);
        if (!Number.isInteger(limit) || limit < 1)
          throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `--limit must be a positive integer (got ${options.limit})`);
        const runs = store.history(service, { task: name, kind: name ? 'task' : undefined, limit });
        out.result({ runs });
        printHistory(out, runs, name);
        return 0;
      }
      const now = Date.now();
      const tasks = Object.entries(loaded.config.tasks).map(([name, task]) =>
        summarizeTask(name, task, store.lastRun(service, name) ?? null, now),
      );
      out.result({ tasks });
      if (tasks.length === 0) out.line(`${service} has no tasks: declare them under tasks: in cutover.yml (docs/tasks.md)`);
      else
        out.line(
          formatTable(
            ['TASK', 'SCHEDULE', 'COMMAND', 'LAST RUN', 'LAST STATE', 'NEXT RUN'],
            tasks.map((t) => [
              t.name,
              `${t.schedule}${t.timeZone ? ` (${t.timeZone})` : ''}`,
              t.command,
              t.lastRun ? new Date(t.lastRun.startedAt).toISOString() : null,
              t.lastRun ? describeState(t.lastRun) : null,
              t.nextRunAt !== null ? new Date(t.nextRunAt).toISOString() : null,
            ]),
          ),
        );
      return 0;
    } finally {
      store.close();
    }
  },
};

/**
 * `cutover tasks run <name>`: asks the controller, whose scheduler runs the task's schedule, so the
 * task's overlap rule covers this run too. With no controller (or one that does not schedule this
 * service), the task runs in this process, and the output says so.
 */
async function runTask(out: Output, loaded: ReturnType<typeof loadConfig>, name: string): Promise<number> {
  const service = loaded.config.service;
  try {
    const controller = new ControllerClient(loaded.dataDir);
    // The agent starts its controller a moment after itself: while the agent answers, wait for it.
    if (
      await new AgentClient(loaded.dataDir).health().then(
        () => true,
        () => false,
      )
    )
      await controller.waitUntilUp();
    const run = await controller.runTask(service, name, { onOutput: streamOutput(out) });
    return reportRun(out, run, `task ${name}`, { ranIn: 'controller' });
  } catch (error) {
    if (!isCutoverError(error) || !FALL_BACK_CODES.has(error.code)) throw error;
    const why = error.code === 'CUT_ERR_CONTROLLER_NOT_RUNNING' ? 'no controller runs' : error.message;
    if (!out.json) process.stderr.write(`${why}: task ${name} runs in this process (a scheduler's overlap rule does not cover this run)\n`);
  }
  const tasks = openTaskService(loaded);
  try {
    const run = await tasks.scheduler.runNow(name, { onOutput: streamOutput(out) });
    return reportRun(out, run, `task ${name}`, { ranIn: 'cli' });
  } finally {
    await tasks.close();
  }
}

/** Errors of the controller after which `tasks run` runs the task itself. */
const FALL_BACK_CODES = new Set(['CUT_ERR_CONTROLLER_NOT_RUNNING', 'CUT_ERR_TASK_NOT_SCHEDULED_HERE']);

async function serve(out: Output, loaded: ReturnType<typeof loadConfig>): Promise<number> {
  // One scheduler per service: a second one would start every task twice. The lease frees itself if this process dies.
  const lockStore = new DeploymentStore(agentPaths(loaded.dataDir).deploymentsDb);
  const attempt = acquireTaskLease(lockStore, loaded.config.service);
  if (!attempt.acquired) {
    lockStore.close();
    const h = attempt.holder;
    throw new CutoverError(
      'CUT_ERR_TASK_SCHEDULER_RUNNING',
      `the tasks of ${loaded.config.service} are already scheduled by pid ${h.pid} on ${h.host} (the controller, or another "cutover tasks serve")`,
      {
        hint: 'the controller schedules the tasks of every service deployed through it; "tasks serve" is for a host without one. One scheduler per service runs each task once',
        details: { holder: h },
      },
    );
  }
  const tasks = openTaskService(loaded, {
    onEvent: (event) =>
      out.line(
        `${new Date().toISOString()} ${event.type} ${event.task} (run ${event.run.id}${event.run.reason ? `: ${event.run.reason}` : ''})`,
      ),
  });
  tasks.scheduler.start();
  const names = Object.keys(loaded.config.tasks);
  out.line(
    `scheduling ${names.length} task${names.length === 1 ? '' : 's'} of ${loaded.config.service}: ${names.join(', ') || '(none)'}; Ctrl-C stops`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await tasks.close();
  attempt.lease.release();
  lockStore.close();
  out.result({ stopped: true });
  return 0;
}

function describeState(run: TaskRunRecord): string {
  if (run.state === 'failed') return run.timedOut ? 'failed (timed out)' : `failed (exit ${run.exitCode ?? run.signal ?? '?'})`;
  return run.state;
}

function printHistory(out: Output, runs: TaskRunRecord[], name: string | undefined): void {
  if (runs.length === 0) {
    out.line(name ? `task ${name} has not run yet` : 'no task has run yet');
    return;
  }
  out.line(
    formatTable(
      ['RUN', 'TASK', 'TRIGGER', 'SCHEDULED', 'STARTED', 'TOOK', 'STATE', 'RELEASE', 'REASON'],
      runs.map((r) => [
        r.attempt > 1 ? `${r.id} (attempt ${r.attempt})` : r.id,
        r.task ?? `run ${r.command}`,
        r.trigger,
        r.scheduledFor !== null ? new Date(r.scheduledFor).toISOString() : null,
        new Date(r.startedAt).toISOString(),
        r.endedAt !== null && r.state !== 'skipped' ? formatMs(r.endedAt - r.startedAt) : null,
        describeState(r),
        r.release,
        r.reason,
      ]),
    ),
  );
}
