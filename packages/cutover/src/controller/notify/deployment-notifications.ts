import type { NotificationEventType } from '../../config/schema-notify.ts';
import type { DeploymentState } from '../../store/deployment-store.ts';
import type { DeploymentObserver } from '../deployment-recorder.ts';
import type { TaskRunRecord } from '../tasks/task-run-store.ts';
import type { Notification } from './notification.ts';

export interface DeploymentFacts {
  service: string;
  id: number;
  release: string;
  fromRelease: string | null;
  kind: string;
}

/** The recorder events that are notifications, by the notification they become. */
const ROLLOUT_EVENTS: Record<string, NotificationEventType> = {
  'rollout:paused': 'deployment:paused',
  'rollout:promoting': 'deployment:promoted',
  'rollout:switched': 'deployment:promoted',
  'rollout:aborted': 'deployment:aborted',
};

const END_EVENTS: Record<Exclude<DeploymentState, 'running'>, NotificationEventType | null> = {
  succeeded: 'deployment:succeeded',
  failed: 'deployment:failed',
  rolled_back: 'deployment:rolled-back',
  interrupted: 'deployment:failed',
};

export function deploymentStarted(facts: DeploymentFacts, atMs: number): Notification {
  return notification(
    'deployment:started',
    facts,
    atMs,
    `${facts.service}: ${facts.kind} ${facts.id} of ${facts.release} started${facts.fromRelease ? ` (from ${facts.fromRelease})` : ''}`,
  );
}

/** The notification a recorder event stands for (paused, promoted, aborted), or null. */
export function deploymentEventNotification(
  type: string,
  data: Record<string, unknown>,
  facts: DeploymentFacts,
  atMs: number,
): Notification | null {
  const event = ROLLOUT_EVENTS[type];
  if (!event) return null;
  const why = typeof data.reason === 'string' ? `: ${data.reason}` : '';
  const verb =
    { 'deployment:paused': 'paused', 'deployment:promoted': 'promoted', 'deployment:aborted': 'aborted' }[event as string] ?? event;
  return notification(event, facts, atMs, `${facts.service}: ${facts.kind} ${facts.id} of ${facts.release} ${verb}${why}`, {
    reason: typeof data.reason === 'string' ? data.reason : null,
  });
}

export function deploymentEnded(
  facts: DeploymentFacts,
  state: Exclude<DeploymentState, 'running'>,
  reason: string | null,
  atMs: number,
): Notification | null {
  const event = END_EVENTS[state];
  if (!event) return null;
  const words = state === 'rolled_back' ? `failed and was rolled back to ${facts.fromRelease ?? 'the previous release'}` : state;
  return notification(
    event,
    facts,
    atMs,
    `${facts.service}: ${facts.kind} ${facts.id} of ${facts.release} ${words}${reason ? `: ${reason}` : ''}`,
    { state, reason },
  );
}

/** `task:failed` for a run that failed for good (after its retries). */
export function taskFailed(run: TaskRunRecord, atMs: number): Notification {
  const how = run.timedOut ? 'timed out' : run.exitCode !== null ? `exited ${run.exitCode}` : (run.reason ?? 'failed');
  return {
    event: 'task:failed',
    service: run.service,
    at: atMs,
    text: `${run.service}: task ${run.task} failed (${how})${run.attempt > 1 ? ` after ${run.attempt} attempts` : ''}`,
    task: {
      name: run.task ?? '',
      runId: run.id,
      state: run.state,
      exitCode: run.exitCode,
      timedOut: run.timedOut,
      reason: run.reason,
      release: run.release,
      outputTail: run.outputTail,
    },
  };
}

/** Passes every deployment event on to `inner`, and the ones that are notifications to `notify`. */
export function notifyingObserver(
  inner: DeploymentObserver,
  facts: () => DeploymentFacts | null,
  notify: (n: Notification) => void,
): DeploymentObserver {
  return {
    stepStarted: (name) => inner.stepStarted(name),
    stepEnded: (name, result, durationMs) => inner.stepEnded(name, result, durationMs),
    event(type, data) {
      inner.event(type, data);
      const known = facts();
      const n = known ? deploymentEventNotification(type, data, known, Date.now()) : null;
      if (n) notify(n);
    },
  };
}

function notification(
  event: NotificationEventType,
  facts: DeploymentFacts,
  atMs: number,
  text: string,
  extra: { state?: string; reason?: string | null } = {},
): Notification {
  return {
    event,
    service: facts.service,
    at: atMs,
    text,
    deployment: { id: facts.id, release: facts.release, fromRelease: facts.fromRelease, kind: facts.kind, ...extra },
  };
}
