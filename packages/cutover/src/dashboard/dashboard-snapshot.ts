import { Cron } from 'croner';
import { parseConfigText } from '../config/load-config.ts';
import type { AgentState } from '../platform/agent-client.ts';
import { currentRelease } from '../platform/current-release.ts';
import type { DeploymentRecord, DeploymentStore } from '../store/deployment-store.ts';
import type { DashboardContext } from './dashboard-context.ts';
import type { ProcessSampler } from './process-stats.ts';

export interface InstanceView {
  id: string;
  release: string;
  processType: string;
  state: string;
  inPool: boolean;
  restarts: number;
  port: number | null;
  pid: number | null;
  uptimeMs: number | null;
  cpuPercent: number | null;
  rssBytes: number | null;
  failure: string | null;
}

export interface ServiceView {
  service: string;
  serving: string | null;
  weights: Record<string, number> | null;
  instances: InstanceView[];
  running: { id: number; release: string; kind: string } | null;
}

export interface TaskView {
  service: string;
  task: string;
  schedule: string;
  lastRun: { id: number; state: string; startedAt: number; endedAt: number | null } | null;
  nextRunAt: number | null;
}

/** Every service the agent routes or the record knows, with its instances as the agent sees them now. */
export async function servicesView(context: DashboardContext, sampler: ProcessSampler): Promise<ServiceView[]> {
  let state: AgentState | null = null;
  try {
    state = await context.agent.state();
  } catch {
    state = null; // the agent is down: the record still shows what was deployed
  }
  const names = new Set<string>(context.store.services());
  for (const entry of state?.services ?? []) names.add(entry.route.service);
  const now = Date.now();
  const views = [...names].sort().map((service): ServiceView => {
    const instances = (state?.instances ?? []).filter((i) => i.spec.service === service);
    const running = context.store.db
      .prepare(`SELECT id, to_release, kind FROM deployments WHERE service = ? AND state = 'running' ORDER BY id DESC LIMIT 1`)
      .get(service);
    return {
      service,
      serving: currentRelease(instances),
      weights: state?.services.find((s) => s.route.service === service)?.weights ?? null,
      running: running ? { id: running.id as number, release: running.to_release as string, kind: running.kind as string } : null,
      instances: instances.map((i) => {
        const stats = sampler.sample(i.pid);
        return {
          id: i.spec.id,
          release: i.spec.release,
          processType: i.spec.processType,
          state: i.state,
          inPool: i.inPool,
          restarts: i.restarts,
          port: i.port,
          pid: i.pid,
          uptimeMs: i.pid === null ? null : now - i.startedAt,
          cpuPercent: stats.cpuPercent,
          rssBytes: stats.rssBytes,
          failure: i.failure,
        };
      }),
    };
  });
  sampler.keep((state?.instances ?? []).flatMap((i) => (i.pid === null ? [] : [i.pid])));
  return views;
}

/** Past deployments of every service, newest first, without their events (a history list). */
export function historyView(store: DeploymentStore, limit = 30): HistoryRow[] {
  return store.db
    .prepare(
      `SELECT id, service, kind, from_release, to_release, actor, state, reason, started_at, ended_at
         FROM deployments ORDER BY id DESC LIMIT ?`,
    )
    .all(limit)
    .map((row) => ({
      id: row.id as number,
      service: row.service as string,
      kind: row.kind as string,
      fromRelease: (row.from_release as string | null) ?? null,
      toRelease: row.to_release as string,
      actor: row.actor as string,
      state: row.state as string,
      reason: (row.reason as string | null) ?? null,
      startedAt: row.started_at as number,
      endedAt: (row.ended_at as number | null) ?? null,
    }));
}

export interface HistoryRow {
  id: number;
  service: string;
  kind: string;
  fromRelease: string | null;
  toRelease: string;
  actor: string;
  state: string;
  reason: string | null;
  startedAt: number;
  endedAt: number | null;
}

/**
 * The tasks of every service, from the config of its last successful deployment (the one the
 * controller schedules from), with the last recorded run and the next cron time.
 */
export function tasksView(store: DeploymentStore): TaskView[] {
  const hasRuns = store.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'task_runs'`).get() !== undefined;
  const views: TaskView[] = [];
  for (const service of store.services()) {
    const row = store.db
      .prepare(
        `SELECT id FROM deployments WHERE service = ? AND state = 'succeeded' AND submission_json IS NOT NULL ORDER BY id DESC LIMIT 1`,
      )
      .get(service);
    const submitted = row ? store.submittedConfig(row.id as number) : null;
    if (!submitted) continue;
    let tasks: Record<string, { schedule: string; timeZone?: string }>;
    try {
      tasks = parseConfigText(submitted.configText, submitted.configFile, submitted.environment).config.tasks as typeof tasks;
    } catch {
      continue;
    }
    for (const [task, config] of Object.entries(tasks ?? {})) {
      const last = hasRuns
        ? store.db
            .prepare(
              `SELECT id, state, started_at, ended_at FROM task_runs WHERE service = ? AND task = ? AND kind = 'task' AND state != 'skipped' ORDER BY id DESC LIMIT 1`,
            )
            .get(service, task)
        : undefined;
      let nextRunAt: number | null = null;
      try {
        nextRunAt = new Cron(config.schedule, { paused: true, timezone: config.timeZone }).nextRun()?.getTime() ?? null;
      } catch {
        nextRunAt = null;
      }
      views.push({
        service,
        task,
        schedule: config.schedule,
        nextRunAt,
        lastRun: last
          ? {
              id: last.id as number,
              state: last.state as string,
              startedAt: last.started_at as number,
              endedAt: (last.ended_at as number | null) ?? null,
            }
          : null,
      });
    }
  }
  return views;
}

/** The deployment to show first: the newest running one, else the newest. */
export function focusDeployment(store: DeploymentStore): DeploymentRecord | undefined {
  const row = store.db.prepare(`SELECT id FROM deployments WHERE state = 'running' ORDER BY id DESC LIMIT 1`).get();
  return row ? store.deployment(row.id as number) : store.latestDeployment();
}
