import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { agentPaths } from '../agent/agent-paths.ts';
import { type LoadedConfig, loadConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { gitReleaseCommits } from '../releases/release-resolver.ts';

/** The deployment in the source environment that a promotion rests on. */
export interface PromotionSource {
  environment: string;
  deploymentId: number;
  endedAt: number | null;
}

interface Row {
  id: number;
  kind: string;
  state: string;
  reason: string | null;
  from_release: string | null;
  to_release: string;
  ended_at: number | null;
}

/**
 * `cutover deploy <release> --from <env>`: the release may go on only when its last deployment in
 * <env> (the same cutover.yml with that environment's overlay, read from its own data directory)
 * succeeded and <env> has not been rolled back from it since. Reads the records; changes nothing.
 */
export async function checkPromotion(loaded: LoadedConfig, from: string, release: string): Promise<PromotionSource> {
  const target = loaded.environment?.name ?? null;
  if (from === target) {
    throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `--from ${from} names the environment being deployed to`, {
      hint: `promote from another environment, e.g. cutover deploy ${release} --env production --from ${from}`,
    });
  }
  const source = loadConfig(loaded.root, loaded.file, { name: from, from: '--from' });
  const service = loaded.config.service;
  const file = agentPaths(source.dataDir).deploymentsDb;
  const refuse = (why: string, details: Record<string, unknown> = {}) =>
    new CutoverError('CUT_ERR_DEPLOY_NOT_PROMOTABLE', `release ${release} cannot be promoted from ${from}: ${why}`, {
      where: file,
      hint: `deploy it to ${from} first and let it succeed there: cutover deploy ${release} --env ${from} (cutover history --env ${from} shows what ran)`,
      details: { release, from, ...details },
    });
  if (!existsSync(file)) throw refuse(`${from} has no records yet (no ${file})`);
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    const last = db
      .prepare(
        `SELECT id, kind, state, reason, from_release, to_release, ended_at FROM deployments
          WHERE service = ? AND to_release = ? ORDER BY id DESC LIMIT 1`,
      )
      .get(service, release) as Row | undefined;
    if (!last) throw refuse(`it was never deployed in ${from}`);
    if (last.state !== 'succeeded')
      throw refuse(`its last deployment in ${from} (#${last.id}) is ${last.state}${last.reason ? `: ${last.reason}` : ''}`, {
        deploymentId: last.id,
        state: last.state,
      });
    const rolledBack = db
      .prepare(
        `SELECT id, kind, state, reason, from_release, to_release, ended_at FROM deployments
          WHERE service = ? AND id > ? AND kind = 'rollback' AND from_release = ? AND state = 'succeeded' ORDER BY id LIMIT 1`,
      )
      .get(service, last.id, release) as Row | undefined;
    if (rolledBack)
      throw refuse(`${from} was rolled back from it to ${rolledBack.to_release} (#${rolledBack.id}) after it succeeded (#${last.id})`, {
        deploymentId: last.id,
        rollbackId: rolledBack.id,
      });
    // A git ref (a branch) may name another commit by now: promote only the commit staging ran.
    const commits = await gitReleaseCommits(loaded, release, agentPaths(source.dataDir).releasesDir);
    if (commits?.exported && commits.exported !== commits.now)
      throw refuse(`${release} names commit ${commits.now.slice(0, 12)} now, but ${from} ran ${commits.exported.slice(0, 12)}`, {
        deploymentId: last.id,
        commitTested: commits.exported,
        commitNow: commits.now,
      });
    return { environment: from, deploymentId: last.id, endedAt: last.ended_at };
  } finally {
    db.close();
  }
}
