import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeploymentStore } from '../store/deployment-store.ts';
import type { DashboardDeploymentEvent } from './dashboard-context.ts';
import type { FeedEvent } from './event-feed.ts';

/** Step durations span a health check (a second) to a long canary (an hour). */
const STEP_BUCKETS_SECONDS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** Which deployment event ends a deployment, and the outcome label it counts under. */
const OUTCOME_OF: Record<string, string> = {
  'deployment:succeeded': 'succeeded',
  'deployment:failed': 'failed',
  'deployment:rolledBack': 'rolled_back',
  'deployment:interrupted': 'interrupted',
};

/**
 * What cutover decided, for Prometheus: deployments by outcome, step durations, the weight of each
 * release, each analysis measurement's verdict by metric, rollbacks, task runs and the deploy locks.
 * Fed by the controller's deployment events and its event feed; task runs, locks and running
 * deployments are read from cutover.db when scraped. Exported through the agent's /metrics.
 */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly #store: DeploymentStore;
  readonly #deployments: Counter;
  readonly #steps: Histogram;
  readonly #weights: Gauge;
  readonly #measurements: Counter;
  readonly #lastValue: Gauge;
  readonly #analyses: Counter;
  readonly #rollbacks: Counter;
  /** The releases each service has a weight series for (removed when weights change or clear). */
  readonly #weighted = new Map<string, string[]>();

  constructor(store: DeploymentStore) {
    this.#store = store;
    const registers = [this.registry];
    this.#deployments = new Counter({
      name: 'cutover_deployments_total',
      help: 'Deployments that ended, by service, strategy and outcome (succeeded, failed, rolled_back, interrupted).',
      labelNames: ['service', 'strategy', 'outcome'],
      registers,
    });
    this.#steps = new Histogram({
      name: 'cutover_deployment_step_duration_seconds',
      help: 'Duration of each pipeline step, by service, step and outcome.',
      labelNames: ['service', 'step', 'outcome'],
      buckets: STEP_BUCKETS_SECONDS,
      registers,
    });
    this.#weights = new Gauge({
      name: 'cutover_release_weight',
      help: 'Share of new requests the controller last set for each release, in percent (absent while no weights are set).',
      labelNames: ['service', 'release'],
      registers,
    });
    this.#measurements = new Counter({
      name: 'cutover_analysis_measurements_total',
      help: 'Analysis measurements by service, metric and verdict (pass, fail, inconclusive, error).',
      labelNames: ['service', 'metric', 'verdict'],
      registers,
    });
    this.#lastValue = new Gauge({
      name: 'cutover_analysis_last_value',
      help: 'The last measured value of each analysis metric.',
      labelNames: ['service', 'metric'],
      registers,
    });
    this.#analyses = new Counter({
      name: 'cutover_analysis_verdicts_total',
      help: 'Analysis verdicts (an analysis step as a whole) by service and verdict.',
      labelNames: ['service', 'verdict'],
      registers,
    });
    this.#rollbacks = new Counter({
      name: 'cutover_rollbacks_total',
      help: 'Rollbacks by service: automatic (a failed rollout restored the previous release) or manual (cutover rollback, the dashboard).',
      labelNames: ['service', 'trigger'],
      registers,
    });
    this.#scrapeTimeGauges(registers);
  }

  /** A deployment event of the controller (deployment:succeeded, failed, rolledBack, interrupted). */
  onDeploymentEvent(name: string, payload: DashboardDeploymentEvent): void {
    const outcome = OUTCOME_OF[name];
    if (!outcome) return;
    const facts = this.#store.deployment(payload.deploymentId)?.facts ?? {};
    const strategy = payload.kind === 'rollback' ? 'rollback' : String(facts.strategy ?? 'unknown');
    this.#deployments.inc({ service: payload.service, strategy, outcome });
    if (name === 'deployment:rolledBack') this.#rollbacks.inc({ service: payload.service, trigger: 'automatic' });
    if (payload.kind === 'rollback' && name === 'deployment:succeeded')
      this.#rollbacks.inc({ service: payload.service, trigger: 'manual' });
  }

  /** Recorded events: step ends, weights, measurements and verdicts. */
  onEvents(batch: readonly FeedEvent[]): void {
    const services = new Map<number, string>();
    const serviceOf = (id: number) => {
      let service = services.get(id);
      if (service === undefined) {
        service = (this.#store.db.prepare('SELECT service FROM deployments WHERE id = ?').get(id)?.service as string | undefined) ?? '';
        services.set(id, service);
      }
      return service;
    };
    for (const event of batch) {
      const service = serviceOf(event.deploymentId);
      const data = event.data;
      if (event.type === 'step:ended' && typeof data.stepId === 'number') {
        const step = this.#store.step(data.stepId);
        if (step?.endedAt) this.#steps.observe({ service, step: step.name, outcome: step.outcome }, (step.endedAt - step.startedAt) / 1000);
      } else if (event.type === 'weights:set') {
        for (const release of this.#weighted.get(service) ?? []) this.#weights.remove({ service, release });
        const weights = (data.weights ?? null) as Record<string, number> | null;
        this.#weighted.set(service, Object.keys(weights ?? {}));
        for (const [release, percent] of Object.entries(weights ?? {})) this.#weights.set({ service, release }, percent);
      } else if (event.type === 'analysis:measurement' && typeof data.metric === 'string') {
        this.#measurements.inc({ service, metric: data.metric, verdict: String(data.verdict ?? 'unknown') });
        if (typeof data.value === 'number') this.#lastValue.set({ service, metric: data.metric }, data.value);
      } else if (event.type === 'analysis:verdict') {
        this.#analyses.inc({ service, verdict: String(data.verdict ?? 'unknown') });
      }
    }
  }

  /** Gauges read from cutover.db at scrape time: locks, running deployments, task runs. */
  #scrapeTimeGauges(registers: Registry[]): void {
    const store = this.#store;
    new Gauge({
      name: 'cutover_deploy_lock_held',
      help: 'Whether the deploy lock of a service is held (1) by a running deployment.',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const service of store.services()) this.set({ service }, 0);
        for (const lock of store.locks()) if (lock.name.startsWith('deploy:')) this.set({ service: lock.name.slice('deploy:'.length) }, 1);
      },
    });
    new Gauge({
      name: 'cutover_deployment_running_seconds',
      help: 'How long the running deployment of a service has run (absent when none runs): a stuck deployment grows here.',
      labelNames: ['service', 'kind'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const row of store.db
          .prepare(`SELECT service, kind, MIN(started_at) AS started FROM deployments WHERE state = 'running' GROUP BY service, kind`)
          .all())
          this.set({ service: row.service as string, kind: row.kind as string }, (now - (row.started as number)) / 1000);
      },
    });
    new Gauge({
      name: 'cutover_deployment_last_end_timestamp_seconds',
      help: 'When the last deployment of a service ended, by its final state.',
      labelNames: ['service', 'state'],
      registers,
      collect() {
        this.reset();
        for (const row of store.db
          .prepare(`SELECT service, state, MAX(ended_at) AS ended FROM deployments WHERE ended_at IS NOT NULL GROUP BY service, state`)
          .all())
          this.set({ service: row.service as string, state: row.state as string }, (row.ended as number) / 1000);
      },
    });
    new Gauge({
      name: 'cutover_task_runs',
      help: 'Task runs recorded in cutover.db (history is pruned), by service, task and state.',
      labelNames: ['service', 'task', 'state'],
      registers,
      collect() {
        this.reset();
        if (!store.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'task_runs'`).get()) return;
        for (const row of store.db
          .prepare(`SELECT service, task, state, COUNT(*) AS n FROM task_runs WHERE kind = 'task' GROUP BY service, task, state`)
          .all())
          this.set({ service: row.service as string, task: String(row.task), state: row.state as string }, row.n as number);
      },
    });
    new Gauge({
      name: 'cutover_task_last_run_timestamp_seconds',
      help: 'When each task last started, by the state it ended in.',
      labelNames: ['service', 'task', 'state'],
      registers,
      collect() {
        this.reset();
        if (!store.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'task_runs'`).get()) return;
        for (const row of store.db
          .prepare(
            `SELECT service, task, state, MAX(started_at) AS at FROM task_runs WHERE kind = 'task' AND state != 'skipped' GROUP BY service, task, state`,
          )
          .all())
          this.set({ service: row.service as string, task: String(row.task), state: row.state as string }, (row.at as number) / 1000);
      },
    });
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
