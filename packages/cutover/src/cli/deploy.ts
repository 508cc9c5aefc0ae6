import { loadConfig } from '../config/load-config.ts';
import type { SkipCheck } from '../controller/pipeline.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { type Command, EXIT_DEPLOY, EXIT_DETACHED } from './command.ts';
import { submitAndFollow } from './follow-deployment.ts';
import { k8sDeploy, TARGET_OPTION, targetsKubernetes } from './k8s-target.ts';
import { checkPromotion } from './promotion-check.ts';

export { reportOutcome } from './report-outcome.ts';

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'roll a release out with zero downtime, rolling back by itself on failure',
  usage: 'cutover deploy <release> [--env ENV [--from ENV]] [--detach] [--skip-check NAME --reason TEXT]',
  description: [
    'Hands <release> to the controller beside the agent, which runs the whole pipeline: lock, checks,',
    'backup, migrations, health-gated rollout, validation; on failure the previous release is restored.',
    'The command follows the deployment live; the deployment never depends on it: Ctrl-C, SIGHUP or a',
    'closed terminal leave it running ("cutover watch" follows it again, "cutover abort" stops it).',
    'With --detach it returns (exit 0) as soon as the controller recorded the deployment.',
    'With --from staging it is a promotion: refused unless <release> succeeded in staging (and was not rolled back there since).',
    '',
    'Where <release> is found, by the release: section of cutover.yml:',
    '  source: directory  the directory release.path names, {release} replaced: releases/<release>/ by default,',
    '                     relative to cutover.yml',
    '  source: git        the commit, tag or branch <release> of release.repo, exported into the data directory',
    '  source: build      the output of release.command, run with CUTOVER_RELEASE=<release> and CUTOVER_RELEASE_DIR',
  ].join('\n'),
  options: {
    detach: { type: 'boolean', help: 'return as soon as the controller accepted the deployment (prints its id)' },
    'skip-check': { type: 'string', multiple: true, help: 'skip a pre-deploy check by name (needs --reason; recorded)' },
    reason: { type: 'string', help: 'why the checks are skipped (kept in the record)' },
    from: {
      type: 'string',
      help: 'promote: refuse unless <release> succeeded in this environment first (e.g. --env production --from staging)',
    },
    ...TARGET_OPTION,
  },
  exitCodes: { ...EXIT_DEPLOY, 3: 'the agent or the controller is not running, or refused the request', ...EXIT_DETACHED },
  async run({ args, options, out, cwd }) {
    const release = args[0];
    if (!release) {
      throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', 'deploy needs a release name', {
        hint: 'run "cutover deploy v2" (the releases cutover.yml can find are listed by a failed attempt)',
      });
    }
    const loaded = loadConfig(cwd, options.config as string | undefined);
    if (targetsKubernetes(loaded, options)) return k8sDeploy(out, loaded, release);
    const promotedFrom = options.from ? await checkPromotion(loaded, options.from as string, release) : undefined;
    const detach = Boolean(options.detach);
    return submitAndFollow(out, loaded, { release, kind: 'deploy', skipChecks: parseSkips(options), detach, promotedFrom });
  },
};

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
