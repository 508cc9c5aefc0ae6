export const DEPLOY_ERRORS = {
  CUT_ERR_DEPLOY_LOCKED: { exitCode: 4, title: 'Another deployment of this service holds the deploy lock.' },
  CUT_ERR_DEPLOY_FAILED: { exitCode: 1, title: 'The deployment failed and was rolled back; the record says why.' },
  CUT_ERR_DEPLOY_UNKNOWN_RELEASE: { exitCode: 5, title: 'The release named cannot be found by the configured release source.' },
  CUT_ERR_DEPLOY_NO_GOOD_RELEASE: { exitCode: 5, title: 'Rollback was asked for, but no earlier good release is recorded.' },
  CUT_ERR_DEPLOY_BUILD_FAILED: { exitCode: 1, title: 'The release build command exited non-zero.' },
  CUT_ERR_DEPLOY_HOOK_FAILED: { exitCode: 1, title: 'A deployment hook exited non-zero.' },
  CUT_ERR_DEPLOY_NOT_PROMOTABLE: {
    exitCode: 1,
    title: 'deploy --from ENV: the release has not succeeded in that environment (or was rolled back there since).',
  },
  CUT_ERR_DEPLOY_SECRET_UNREADABLE: {
    exitCode: 1,
    title: "A secret of the release (secrets:) could not be read for a deployment's hook, check, migration or validation command.",
  },
  CUT_ERR_DEPLOY_NOT_FOUND: { exitCode: 5, title: 'No deployment with that id is recorded.' },
  CUT_ERR_DEPLOY_NOT_RUNNING: { exitCode: 5, title: 'No deployment of this service is running, so there is nothing to promote.' },
  CUT_ERR_DEPLOY_SIGNAL_REFUSED: {
    exitCode: 1,
    title: 'The running deployment cannot act on this promote or abort (rolling strategy, rollout over, or already aborting).',
  },
} as const;
