import { loadConfig } from '../config/load-config.ts';
import { SILENT_OBSERVER } from '../controller/deployment-recorder.ts';
import type { SkipCheck } from '../controller/pipeline.ts';
import { type DeployOutcome, runDeployment } from '../controller/run-deployment.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { AgentClient } from '../platform/agent-client.ts';
import { type Command, EXIT_DEPLOY } from './command.ts';
import { failedInstanceOutput } from './instance-output-tail.ts';
import type { Output } from './output.ts';
import { formatMs } from './output.ts';
import { progressObserver } from './progress-observer.ts';
import { stopServiceInstancesIn } from './stop-service-instances.ts';

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'roll a release out with zero downtime, rolling back by itself on failure',
  usage: 'cutover deploy <release> [--skip-check NAME --reason TEXT]',
  description: [
    'Runs the whole pipeline for <release>: lock, checks, backup, migrations, health-gated rollout,',
    'validation. On failure the previous release is restored and the command exits non-zero.',
    '',
    'Where <release> is found, by the release: section of cutover.yml:',
    '  source: directory  the directory release.path names, {release} replaced: releases/<release>/ by default,',
    '                     relative to cutover.yml',
    '  source: git        the commit, tag or branch <release> of release.repo, exported into the data directory',
    '  source: build      the output of release.command, run with CUTOVER_RELEASE=<release> and CUTOVER_RELEASE_DIR',
  ].join('\n'),
  options: {
    'skip-check': { type: 'string', multiple: true, help: 'skip a pre-deploy check by name (needs --reason; recorded)' },
    reason: { type: 'string', help: 'why the checks are skipped (kept in the record)' },
  },
  exitCodes: EXIT_DEPLOY,
  async run({ args, options, out, cwd }) {
    const release = args[0];
    if (!release) {
      throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', 'deploy needs a release name', {
        hint: 'run "cutover deploy v2" (the releases cutover.yml can find are listed by a failed attempt)',
      });
    }
    const loaded = loadConfig(cwd, options.config as string | undefined);
    const runningBefore = await instanceCount(loaded.dataDir, loaded.config.service);
    const outcome = await runDeployment({
      loaded,
      release,
      kind: 'deploy',
      observer: out.json ? SILENT_OBSERVER : progressObserver(out),
      skipChecks: parseSkips(options),
    });
    // A deploy onto nothing that failed stops what it started, as a deploy over a serving release does.
    if (outcome.state !== 'succeeded' && runningBefore === 0)
      await stopServiceInstancesIn(loaded.dataDir, loaded.config.service).catch(() => undefined);
    return reportOutcome(out, outcome, loaded.dataDir);
  },
};

/** Instances of the service before a deploy (undefined when the agent cannot say: then nothing is cleaned up). */
async function instanceCount(dataDir: string, service: string): Promise<number | undefined> {
  try {
    return (await new AgentClient(dataDir).state(service)).instances.length;
  } catch {
    return undefined;
  }
}

export function parseSkips(options: Record<string, unknown>): SkipCheck[] {
  const names = (options['skip-check'] as string[] | undefined) ?? [];
  if (names.length === 0) return [];
  const reason = options.reason as string | undefined;
  if (!reason) {
    throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', '--skip-check needs --reason', {
      hint: 'say why, e.g. --reason "disk check broken on this host, ticket OPS-12"',
    });
  }
  return names.map((name) => ({ name, reason }));
}

/** Prints the end of a deployment and maps it to the exit code. */
export async function reportOutcome(out: Output, outcome: DeployOutcome, dataDir?: string): Promise<number> {
  const { record } = outcome;
  const took = formatMs((record.endedAt ?? Date.now()) - record.startedAt);
  if (outcome.state === 'succeeded') {
    out.result({ deployment: record });
    out.line(`deployment ${record.id}: ${record.fromRelease ?? '(nothing)'} → ${record.toRelease} succeeded in ${took}`);
    return 0;
  }
  const output = dataDir ? await failedInstanceOutput(dataDir, record.service, outcome.reason) : {};
  const shown = Object.entries(output)
    .map(([id, lines]) => `\nlast output of ${id}:\n${lines.map((line) => `  ${line}`).join('\n')}`)
    .join('');
  const error = new CutoverError(
    'CUT_ERR_DEPLOY_FAILED',
    `deployment ${record.id} of ${record.toRelease} ${outcome.state === 'rolled_back' ? `was rolled back to ${record.rolledBackTo}` : 'failed'}: ${outcome.reason}${shown}`,
    {
      hint: `see "cutover history ${record.id}" for every step and "cutover logs" for the instances' output`,
      details: { deploymentId: record.id, state: outcome.state, instanceOutput: output },
    },
  );
  return out.failure({ deployment: record }, error);
}
