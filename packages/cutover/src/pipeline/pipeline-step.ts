import type { LoadedConfig } from '../config/load-config.ts';

/** What the controller hands to every pipeline step (checks, backup, migrate, validation...). */
export interface StepContext {
  loaded: LoadedConfig;
  deploymentId: string;
  /** The release being deployed. */
  release: string;
  /** Where the release's files are (its migrations may ship inside it). */
  releaseDir?: string;
  /** The release serving before this deployment, or null on a first deploy. */
  previousRelease: string | null;
  /** Progress for humans: one line, shown live by the CLI and kept in the record. */
  log(message: string): void;
  signal: AbortSignal;
  /**
   * The environment commands of this deployment run with (command checks, migrations, validation's
   * load command): the release's env as its instances get it, with its `secrets:` read at this call
   * as the agent reads them at spawn. In memory only: never recorded, logged or written. Rejects with
   * CUT_ERR_DEPLOY_SECRET_UNREADABLE when a secret cannot be read. Absent outside a deployment.
   */
  commandEnv?: () => Promise<Record<string, string>>;
}

/** Expected outcomes are values: a failed check is `{ outcome: 'failed' }`, not an exception. */
export interface StepResult {
  outcome: 'ok' | 'failed' | 'skipped';
  /** The facts behind the decision (measured values, thresholds, ids, commands), kept in the record. */
  values: Record<string, unknown>;
  /** Why it failed or was skipped, in one sentence. */
  reason?: string;
}
