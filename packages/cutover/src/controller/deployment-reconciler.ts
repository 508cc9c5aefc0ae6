import { parseConfigText } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import type { AgentClient } from '../platform/agent-client.ts';
import type { DeploymentRecord, DeploymentStore } from '../store/deployment-store.ts';
import type { ControllerService } from './controller-service.ts';
import type { DeploymentEventPayload, DeploymentEvents } from './deployment-events.ts';
import type { DeploymentObserver } from './deployment-recorder.ts';
import type { DeployOutcome } from './deployment-run.ts';
import type { RecordedSubmission, Submission } from './deployment-submission.ts';
import { type AcceptedDeployment, acceptDeployment, resumeDeployment, runAccepted } from './run-deployment.ts';

/** Record events that mean something to a notifier, and the deployment event each becomes. */
const EVENT_OF_RECORD: Record<string, 'deployment:paused' | 'deployment:promoted' | 'deployment:aborted'> = {
  'rollout:paused': 'deployment:paused',
  'rollout:promoting': 'deployment:promoted',
  'rollout:switched': 'deployment:promoted',
  'rollout:aborting': 'deployment:aborted',
};

/**
 * Runs every deployment of this data directory as a reconciler over its record: a submission is
 * recorded (with what is needed to run it again) before it is accepted, then runs in the
 * background; on start, every deployment the record says is running is picked up where it
 * stopped (see resumeDeployment). One deployment per service at a time (the deploy lock).
 */
export class DeploymentReconciler implements ControllerService {
  readonly name = 'deployments';
  readonly #store: DeploymentStore;
  readonly #client: AgentClient;
  readonly #events: DeploymentEvents;
  readonly #running = new Map<number, Promise<DeployOutcome | null>>();
  #stopping = false;

  constructor(deps: { store: DeploymentStore; client: AgentClient; events: DeploymentEvents }) {
    this.#store = deps.store;
    this.#client = deps.client;
    this.#events = deps.events;
  }

  /** Resumes every deployment a stopped controller left running. */
  async start(): Promise<void> {
    for (const record of this.#store.resumableDeployments()) {
      const submission = this.#store.submission(record.id) as RecordedSubmission | null;
      if (!submission) continue;
      let accepted: AcceptedDeployment | null;
      try {
        accepted = await resumeDeployment(record, submission, this.#store, this.#client, this.#observer(record));
      } catch (error) {
        this.#store.finishDeployment(record.id, 'interrupted', `could not resume after a controller restart: ${(error as Error).message}`);
        continue;
      }
      if (accepted === null) {
        this.#emit('deployment:interrupted', record, 'could not resume: the deploy lock is held elsewhere');
        continue;
      }
      this.#emit('deployment:resumed', record);
      this.#track(record.id, accepted);
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
  }

  /** Ids of the deployments running in this controller. */
  running(): number[] {
    return [...this.#running.keys()];
  }

  /** Resolves when the deployment ends in this controller (null when it does not run here). */
  done(id: number): Promise<DeployOutcome | null> | null {
    return this.#running.get(id) ?? null;
  }

  /**
   * Validates, records and starts one deployment; returns its id once it is recorded and holds
   * the deploy lock. Bad input and a busy lock are refused with their error (nothing recorded).
   */
  async submit(submission: Submission): Promise<number> {
    if (this.#stopping)
      throw new CutoverError('CUT_ERR_CONTROLLER_STOPPING', 'the controller is stopping', { hint: 'try again in a moment' });
    const loaded = parseConfigText(submission.configText, submission.configFile, submission.environment);
    const request = {
      loaded,
      release: submission.release,
      kind: submission.kind,
      actor: submission.actor,
      skipChecks: submission.skipChecks,
      observer: this.#observer(null),
    };
    const accepted = await acceptDeployment(request, this.#store, this.#client, { abortOnSigint: false }, submission);
    const record = this.#store.deployment(accepted.run.deploymentId) as DeploymentRecord;
    (request.observer as ObserverWithRecord).bind(record);
    this.#emit('deployment:started', record);
    this.#track(record.id, accepted);
    return record.id;
  }

  #track(id: number, accepted: AcceptedDeployment): void {
    const done = runAccepted(accepted).then(
      (outcome) => {
        const record = outcome.record;
        if (outcome.state === 'succeeded') this.#emit('deployment:succeeded', record);
        else if (outcome.state === 'rolled_back')
          this.#events.emit('deployment:rolledBack', { ...payloadOf(record, outcome.reason), rolledBackTo: record.rolledBackTo ?? '' });
        else if (outcome.state === 'interrupted') this.#emit('deployment:interrupted', record, outcome.reason);
        else this.#emit('deployment:failed', record, outcome.reason);
        return outcome;
      },
      (error: unknown) => {
        // An invariant broke outside every step (the store, the agent gone for good): the record says so.
        const reason = `the controller could not run it: ${(error as Error).message ?? String(error)}`;
        if (this.#store.deploymentState(id) === 'running') this.#store.finishDeployment(id, 'failed', reason);
        const record = this.#store.deployment(id);
        if (record) this.#emit('deployment:failed', record, reason);
        return null;
      },
    );
    this.#running.set(id, done);
    void done.finally(() => this.#running.delete(id));
  }

  #emit(
    name: 'deployment:started' | 'deployment:succeeded' | 'deployment:failed' | 'deployment:resumed' | 'deployment:interrupted',
    record: DeploymentRecord,
    reason?: string | null,
  ): void {
    this.#events.emit(name, payloadOf(record, reason));
  }

  /** Turns the record's events into deployment events (a pause, a promotion, an abort). */
  #observer(record: DeploymentRecord | null): ObserverWithRecord {
    let bound = record;
    return {
      bind: (r) => {
        bound = r;
      },
      stepStarted() {},
      stepEnded() {},
      event: (type, data) => {
        const name = EVENT_OF_RECORD[type];
        if (!name || !bound) return;
        this.#events.emit(name, payloadOf(bound, (data.reason as string | undefined) ?? null));
      },
    };
  }
}

interface ObserverWithRecord extends DeploymentObserver {
  bind(record: DeploymentRecord): void;
}

function payloadOf(record: DeploymentRecord, reason?: string | null): DeploymentEventPayload {
  return {
    deploymentId: record.id,
    service: record.service,
    release: record.toRelease,
    kind: record.kind,
    at: Date.now(),
    ...(reason ? { reason } : {}),
  };
}
