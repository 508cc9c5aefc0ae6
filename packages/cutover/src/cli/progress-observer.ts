import type { DeploymentObserver } from '../controller/deployment-recorder.ts';
import type { Output, Step } from './output.ts';

/** Event types worth a line of their own; the rest only update the live step text. */
const SHOWN_EVENTS = new Set([
  'batch:done',
  'rollout:failed',
  'rollout:restoring',
  'rollout:restored',
  'rollout:baking',
  'instance:retiring',
  'weights:set',
  'analysis:verdict',
  'rollout:paused',
  'rollout:aborted',
  'signal:handled',
  'smoke:result',
]);

/** Renders a running deployment: one live line per step, plus the decisions that matter. */
export function progressObserver(out: Output): DeploymentObserver {
  let current: Step | undefined;
  return {
    stepStarted(name) {
      current = out.step(name);
    },
    stepEnded(_name, result, _durationMs) {
      if (result.outcome === 'failed') current?.fail(result.reason);
      else current?.done(result.outcome === 'skipped' ? 'skipped' : undefined);
      current = undefined;
    },
    event(type, data) {
      const text = describeEvent(type, data);
      if (!text) return;
      if (SHOWN_EVENTS.has(type) && !out.tty) out.line(`    ${text}`);
      else current?.update(text);
    },
  };
}

export function describeEvent(type: string, data: Record<string, unknown>): string | null {
  switch (type) {
    case 'batch:starting':
      return `starting ${data.size} ${data.processType} instance(s) of ${data.release}`;
    case 'batch:done': {
      const joined = (data.joinedPoolMs as (number | null)[]).filter((v) => v !== null);
      return `${data.processType}: ${(data.started as string[]).join(', ')} serving${joined.length ? ` (joined pool ${joined.join('/')} ms after healthy)` : ''}; retired ${(data.retired as string[]).join(', ') || 'none'}`;
    }
    case 'instance:retiring':
      return `draining and stopping ${data.id}`;
    case 'rollout:pausing':
      return `pausing ${data.pauseMs} ms`;
    case 'rollout:baking':
      return `watching the new release for ${data.bakeMs} ms`;
    case 'rollout:failed':
      return `rollout failed: ${data.reason}`;
    case 'rollout:restoring':
      return `restoring ${data.release} to full capacity`;
    case 'rollout:restored':
      return `restored ${data.release ?? 'nothing (no previous release)'}${data.restored ? '' : ' INCOMPLETELY'}`;
    case 'migrate:contract-pending':
      return `${data.pending} contract migration(s) pending: run "cutover migrate up --contract" once no rollback to the previous release is needed`;
    case 'weights:set':
      return `weights ${
        data.weights === null
          ? 'cleared (spread evenly)'
          : Object.entries(data.weights as Record<string, number>)
              .map(([r, w]) => `${r}=${w}%`)
              .join(' ')
      }: ${data.reason}`;
    case 'analysis:measurement':
      return `analysis ${data.analysis}: ${data.reason} (${data.verdict})`;
    case 'analysis:verdict':
      return `analysis ${data.analysis}: ${data.summary}`;
    case 'rollout:paused':
      return `paused: ${data.reason}; waiting for ${data.waitingFor}`;
    case 'rollout:aborted':
      return `aborted (${data.by}): traffic back on ${data.stable} in ${data.switchMs} ms`;
    case 'signal:handled':
      return `${data.kind} ${data.outcome}: ${data.note}`;
    case 'smoke:result':
      return `smoke ${data.outcome} ${data.check} on ${data.instance}: ${data.message}`;
    case 'step:log':
      return String(data.message);
    case 'hook:output':
      return `${data.hook}: ${data.line}`;
    case 'build:output':
      return `build: ${data.line}`;
    default:
      return null;
  }
}
