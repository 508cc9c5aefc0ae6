export const TASK_ERRORS = {
  CUT_ERR_TASK_UNKNOWN: { exitCode: 5, title: 'No task of that name is declared under tasks: in cutover.yml.' },
  CUT_ERR_TASK_FAILED: {
    exitCode: 1,
    title: 'A task or a `cutover run` command ran and failed (its exit code, a timeout, or no release to run in).',
  },
  CUT_ERR_TASK_NO_RELEASE: {
    exitCode: 5,
    title: 'No release serves yet (or the one named is unknown), so there is no directory to run the command in.',
  },
  CUT_ERR_TASK_SCHEDULER_RUNNING: {
    exitCode: 4,
    title: 'The controller or another `cutover tasks serve` already schedules the tasks of this service (they share one lease).',
  },
  CUT_ERR_TASK_NOT_SCHEDULED_HERE: {
    exitCode: 5,
    title:
      'The controller does not schedule the tasks of this service (none of its deployments succeeded there, or `cutover tasks serve` holds them).',
  },
} as const;
