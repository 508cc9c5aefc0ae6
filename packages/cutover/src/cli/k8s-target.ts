import { type LoadedConfig, loadConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import type { Reporter } from '../kubernetes/cluster/cluster-target.ts';
import type { CommandContext, OptionSpec } from './command.ts';
import type { Output } from './output.ts';
import { formatTable } from './table.ts';

/** --target of deploy, status, history, rollback, promote and abort. */
export const TARGET_OPTION: Record<string, OptionSpec> = {
  target: {
    type: 'string',
    help: 'agent (this host) or kubernetes (the cluster of kubernetes:); default: target: in cutover.yml, else agent',
  },
};

/** Whether this command goes to the cluster: --target, else target: in cutover.yml. */
export function targetsKubernetes(loaded: LoadedConfig, options: CommandContext['options']): boolean {
  const target = (options.target as string | undefined) ?? loaded.config.target;
  if (target !== 'agent' && target !== 'kubernetes') {
    throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `--target must be agent or kubernetes (got ${JSON.stringify(target)})`, {
      hint: 'leave it out to use target: from cutover.yml',
    });
  }
  return target === 'kubernetes';
}

function reporter(out: Output): Reporter {
  return {
    progress: (p) => out.line(`${new Date().toISOString().slice(11, 19)} ${p.state === 'progressing' ? '…' : p.state} ${p.message}`),
    note: (text) => out.line(text),
  };
}

export async function k8sDeploy(out: Output, loaded: LoadedConfig, release: string): Promise<number> {
  out.line(`deploying ${loaded.config.service} ${release} to Kubernetes`);
  const result = await (await cluster()).deployToCluster(loaded, release, reporter(out));
  const summary = { ...result, target: 'kubernetes' };
  if (result.outcome === 'succeeded') {
    out.result(summary);
    out.line(`${loaded.config.service} ${release} is serving on the cluster (${result.fromRelease ?? 'nothing'} → ${release})`);
    return 0;
  }
  const error =
    result.outcome === 'aborted'
      ? new CutoverError('CUT_ERR_KUBE_ROLLOUT_ABORTED', `${result.workload.kind} ${result.workload.name}: ${result.progress.message}`, {
          where: `${result.workload.kind}/${result.workload.namespace}/${result.workload.name}`,
          hint: `the stable release (${result.fromRelease ?? 'the previous one'}) serves; "kubectl argo rollouts get rollout ${result.workload.name}" shows the analysis`,
          details: { facts: result.progress.facts },
        })
      : new CutoverError('CUT_ERR_KUBE_ROLLOUT_FAILED', `${result.workload.kind} ${result.workload.name}: ${result.progress.message}`, {
          where: `${result.workload.kind}/${result.workload.namespace}/${result.workload.name}`,
          hint:
            result.undoneTo !== undefined
              ? `undone to revision ${result.undoneTo} (${result.fromRelease ?? 'the previous release'}); "kubectl describe" the new pods for why they never became available`
              : 'nothing to undo to (a first deploy); "kubectl describe" the pods for why they never became available',
          details: { facts: result.progress.facts, undoneTo: result.undoneTo },
        });
  return out.failure(summary, error);
}

export async function k8sRollback(out: Output, loaded: LoadedConfig, release: string | undefined): Promise<number> {
  const { revision, progress } = await (await cluster()).rollbackOnCluster(loaded, release, reporter(out));
  out.result({ target: 'kubernetes', revision: { ...revision, template: undefined }, progress });
  if (progress.state !== 'done') {
    return out.failure(
      { target: 'kubernetes', progress },
      new CutoverError('CUT_ERR_KUBE_ROLLOUT_FAILED', `the rollback to revision ${revision.revision} did not finish: ${progress.message}`, {
        hint: '"cutover status --target kubernetes" shows where it stands',
      }),
    );
  }
  out.line(`back on ${revision.release ?? `revision ${revision.revision}`}`);
  return 0;
}

export async function k8sStatus(out: Output, loaded: LoadedConfig): Promise<number> {
  const status = await (await cluster()).clusterStatus(loaded);
  out.result({ target: 'kubernetes', ...status });
  const w = status.workload as { kind: string; namespace: string; name: string };
  if (!status.deployed) out.line(`${loaded.config.service}: no ${w.kind} ${w.namespace}/${w.name} on the cluster yet`);
  else
    out.line(
      `${loaded.config.service} on the cluster: ${w.kind} ${w.namespace}/${w.name}, release ${status.release ?? '?'}, ${status.state}: ${status.message}`,
    );
  return 0;
}

export async function k8sHistory(out: Output, loaded: LoadedConfig): Promise<number> {
  const { revisions, deployments } = await (await cluster()).clusterHistory(loaded);
  out.result({ target: 'kubernetes', revisions: revisions.map(({ template: _t, ...r }) => r), deployments });
  if (deployments.length === 0) out.line('no deployment to the cluster recorded yet');
  else
    out.line(
      formatTable(
        ['ID', 'KIND', 'FROM', 'TO', 'OUTCOME', 'BY', 'STARTED', 'REASON'],
        deployments.map((d) => [d.id, d.kind, d.fromRelease, d.toRelease, d.outcome, d.actor, d.startedAt, d.reason]),
      ),
    );
  out.line('');
  if (revisions.length === 0) out.line('no revision kept on the cluster');
  else
    out.line(
      formatTable(
        ['REVISION', 'RELEASE', 'REPLICASET', 'REPLICAS', 'CREATED'],
        revisions.map((r) => [String(r.revision), r.release ?? '?', r.replicaSet, String(r.replicas), r.createdAt ?? '']),
      ),
    );
  return 0;
}

export async function k8sSignal(out: Output, loaded: LoadedConfig, action: 'promote' | 'promote-full' | 'abort'): Promise<number> {
  const { rollout, patches } = await (await import('../kubernetes/cluster/rollout-signals.ts')).signalRollout(loaded, action);
  out.result({ target: 'kubernetes', rollout, action, patches });
  out.line(`Rollout ${rollout}: ${action === 'abort' ? 'aborted' : action === 'promote-full' ? 'fully promoted' : 'promoted'}`);
  return 0;
}

/** The loaded cutover.yml when this command goes to the cluster (--target kubernetes, or target: kubernetes in the file). */
export function kubernetesTarget(ctx: CommandContext): LoadedConfig | undefined {
  const loaded = loadConfig(ctx.cwd, ctx.options.config as string | undefined);
  return targetsKubernetes(loaded, ctx.options) ? loaded : undefined;
}

/** The cluster driver (it brings @kubernetes/client-node), loaded only when a command targets the cluster. */
function cluster(): Promise<typeof import('../kubernetes/cluster/cluster-target.ts')> {
  return import('../kubernetes/cluster/cluster-target.ts');
}
