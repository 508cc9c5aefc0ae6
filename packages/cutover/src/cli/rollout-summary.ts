import type { DeploymentRecord } from '../store/deployment-store.ts';

export interface RolloutSummary {
  strategy: string | null;
  /** The last weights the deployment set (null: spread evenly, or none set). */
  weights: Record<string, number> | null;
  /** The latest verdict of each analysis (step N, background, pre-promotion, post-promotion). */
  verdicts: { analysis: string; verdict: string; summary: string; at: number }[];
  /** Why a running deployment waits for a human, or null. */
  waitingFor: string | null;
}

/** What `cutover status` shows of a canary or blue-green deployment, from its recorded events. Pure. */
export function summarizeRollout(record: DeploymentRecord): RolloutSummary {
  let weights: Record<string, number> | null = null;
  const verdicts = new Map<string, RolloutSummary['verdicts'][number]>();
  let pausedBecause: string | null = null;
  for (const event of record.events) {
    const data = event.data;
    if (event.type === 'weights:set') weights = (data.weights as Record<string, number> | null) ?? null;
    else if (event.type === 'analysis:verdict') {
      const analysis = String(data.analysis);
      verdicts.delete(analysis);
      verdicts.set(analysis, { analysis, verdict: String(data.verdict), summary: String(data.summary), at: event.at });
    } else if (event.type === 'rollout:paused') pausedBecause = String(data.reason);
    else if (event.type.startsWith('rollout:') || (event.type === 'signal:handled' && data.outcome === 'applied')) pausedBecause = null;
  }
  const running = record.state === 'running';
  return {
    strategy: (record.facts.strategy as string | undefined) ?? null,
    weights,
    verdicts: [...verdicts.values()],
    waitingFor: running && pausedBecause !== null ? `${pausedBecause}; run "cutover promote" to go on or "cutover abort" to abort` : null,
  };
}
