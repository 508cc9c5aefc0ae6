import { z } from 'zod';

/**
 * What the CLI hands the controller for one deployment: everything needed to run it and, after a
 * controller restart, to run it on from its record. The config is a snapshot of cutover.yml as
 * the CLI validated it (a later edit of the file does not change a running deployment). Kept in
 * the controller's database (0600), never printed: it may hold env values.
 */
export const submissionSchema = z.strictObject({
  /** Absolute path of cutover.yml (relative paths in it resolve from its directory). */
  configFile: z.string().min(1),
  /** The text of cutover.yml when it was submitted. */
  configText: z.string(),
  /** The environment (--env) whose overlay was merged over cutover.yml: its name, path and text when submitted. */
  environment: z.strictObject({ name: z.string().min(1), file: z.string().min(1), text: z.string() }).optional(),
  release: z.string().min(1),
  kind: z.enum(['deploy', 'rollback']),
  actor: z.string().min(1),
  /** Why (kept in the record with the skipped checks). */
  reason: z.string().optional(),
  /** deploy --from ENV: the deployment of the same release that succeeded in that environment. */
  promotedFrom: z
    .strictObject({ environment: z.string().min(1), deploymentId: z.number().int(), endedAt: z.number().nullable() })
    .optional(),
  skipChecks: z.array(z.strictObject({ name: z.string().min(1), reason: z.string().min(1) })).default([]),
});

export type Submission = z.output<typeof submissionSchema>;

/** The submission as recorded: plus what acceptance decided (the release to restore on failure). */
export interface RecordedSubmission extends Submission {
  previousName: string | null;
  /** Instances of the service when it was accepted (0: a first deploy). */
  instancesBefore?: number;
  /**
   * Run in the process that asked (`cutover up`, embedded use), not in the controller: recorded for
   * its config snapshot only (the controller's task schedulers read the serving release's tasks from
   * it); a controller never resumes such a deployment, and one whose process died is `interrupted`.
   */
  inProcess?: boolean;
}
