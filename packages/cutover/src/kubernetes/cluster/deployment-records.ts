import { userInfo } from 'node:os';
import { PatchStrategy } from '@kubernetes/client-node';
import { apiError, type KubeConnection, statusCode } from './kube-connection.ts';
import type { WorkloadProgress } from './workload-progress.ts';

/** Records kept per service on the cluster (a ConfigMap holds at most 1 MiB). */
export const MAX_CLUSTER_RECORDS = 50;
const MAX_TIMELINE = 100;
const DATA_KEY = 'deployments.json';

export interface ClusterStepRecord {
  name: string;
  startedAt: string;
  endedAt?: string;
  outcome: 'running' | 'ok' | 'failed' | 'skipped';
  values: Record<string, unknown>;
}

/** One deployment to the cluster as cutover recorded it: who, what, from → to, each step with its values, the progress timeline, the outcome. */
export interface ClusterDeploymentRecord {
  id: number;
  kind: 'deploy' | 'rollback';
  service: string;
  fromRelease: string | null;
  toRelease: string | null;
  actor: string;
  context: string;
  workload: string;
  startedAt: string;
  endedAt?: string;
  outcome: 'running' | 'succeeded' | 'failed' | 'aborted' | 'rolled_back';
  reason?: string;
  steps: ClusterStepRecord[];
  timeline: { at: string; state: string; message: string }[];
}

/** The ConfigMap beside the workload that holds the service's cluster deployments, newest first. */
export function recordsName(service: string): string {
  return `${service}-cutover-deployments`;
}

export async function readRecords(conn: KubeConnection, namespace: string, service: string): Promise<ClusterDeploymentRecord[]> {
  try {
    const map = (await conn.objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: recordsName(service), namespace } })) as {
      data?: Record<string, string>;
    };
    return JSON.parse(map.data?.[DATA_KEY] ?? '[]') as ClusterDeploymentRecord[];
  } catch (error) {
    if (statusCode(error) === 404) return [];
    throw apiError(`reading the deployment records ${namespace}/${recordsName(service)}`, error, conn.server);
  }
}

/** A recorder that writes the record after each change, so an interrupted deploy leaves its steps so far. */
export class ClusterRecorder {
  readonly record: ClusterDeploymentRecord;
  private readonly conn: KubeConnection;
  private readonly namespace: string;

  private constructor(conn: KubeConnection, namespace: string, record: ClusterDeploymentRecord) {
    this.conn = conn;
    this.namespace = namespace;
    this.record = record;
  }

  static async start(
    conn: KubeConnection,
    namespace: string,
    input: Pick<ClusterDeploymentRecord, 'kind' | 'service' | 'fromRelease' | 'toRelease' | 'workload'>,
  ): Promise<ClusterRecorder> {
    const existing = await readRecords(conn, namespace, input.service);
    const record: ClusterDeploymentRecord = {
      ...input,
      id: (existing[0]?.id ?? 0) + 1,
      actor: process.env.CUTOVER_ACTOR ?? safeUser(),
      context: conn.context,
      startedAt: new Date().toISOString(),
      outcome: 'running',
      steps: [],
      timeline: [],
    };
    const recorder = new ClusterRecorder(conn, namespace, record);
    await recorder.save();
    return recorder;
  }

  async step<T>(name: string, run: () => Promise<T>, values: (result: T) => Record<string, unknown> = () => ({})): Promise<T> {
    const step: ClusterStepRecord = { name, startedAt: new Date().toISOString(), outcome: 'running', values: {} };
    this.record.steps.push(step);
    await this.save();
    try {
      const result = await run();
      Object.assign(step, { outcome: 'ok', endedAt: new Date().toISOString(), values: values(result) });
      return result;
    } catch (error) {
      Object.assign(step, { outcome: 'failed', endedAt: new Date().toISOString(), values: { error: (error as Error).message } });
      throw error;
    } finally {
      await this.save().catch(() => undefined);
    }
  }

  progress(progress: WorkloadProgress): void {
    this.record.timeline.push({ at: new Date().toISOString(), state: progress.state, message: progress.message });
    if (this.record.timeline.length > MAX_TIMELINE) this.record.timeline.splice(1, this.record.timeline.length - MAX_TIMELINE);
  }

  async finish(outcome: Exclude<ClusterDeploymentRecord['outcome'], 'running'>, reason?: string): Promise<void> {
    this.record.outcome = outcome;
    this.record.reason = reason;
    this.record.endedAt = new Date().toISOString();
    await this.save();
  }

  /** Read, replace this record, keep the newest, apply: one field manager of its own. */
  private async save(): Promise<void> {
    const records = (await readRecords(this.conn, this.namespace, this.record.service)).filter((r) => r.id !== this.record.id);
    const next = [this.record, ...records].slice(0, MAX_CLUSTER_RECORDS);
    try {
      await this.conn.objects.patch(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: recordsName(this.record.service),
            namespace: this.namespace,
            labels: { 'app.kubernetes.io/name': this.record.service, 'app.kubernetes.io/managed-by': 'cutover' },
          },
          data: { [DATA_KEY]: JSON.stringify(next) },
        },
        undefined,
        undefined,
        'cutover-records',
        true,
        PatchStrategy.ServerSideApply,
      );
    } catch (error) {
      throw apiError(`writing the deployment record ${this.namespace}/${recordsName(this.record.service)}`, error, this.conn.server);
    }
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
