import { pruneReleases } from '../releases/prune-releases.ts';
import type { DeploymentRun } from './deployment-run.ts';

/**
 * After a deployment ends, bounds what deployments leave behind: release copies beyond
 * `keepReleases` (git and build sources only; never one with running instances, the one just
 * deployed, or the rollback target) and deployment records beyond `keepDeployments`. Never fails
 * the deployment: what could not be deleted now is deleted after a later one.
 */
export async function pruneHistory(run: DeploymentRun, releasesDir: string): Promise<void> {
  const { config } = run.loaded;
  try {
    if (config.release.source !== 'directory') {
      const running = (await run.backend.instances(run.service)).map((instance) => instance.spec.release);
      const lastGood = run.store.lastGoodRelease(run.service);
      const keep = new Set([run.request.release, ...running, ...[run.previousName, lastGood].filter((n): n is string => n !== null)]);
      const removed = pruneReleases(releasesDir, run.service, config.keepReleases, keep);
      if (removed.length > 0) run.store.addEvent(run.deploymentId, 'releases:pruned', { removed, keepReleases: config.keepReleases });
    }
    run.store.pruneDeployments(run.service, config.keepDeployments);
  } catch (error) {
    run.store.addEvent(run.deploymentId, 'history:prune-failed', { error: (error as Error).message });
  }
}
