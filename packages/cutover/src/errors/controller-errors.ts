export const CONTROLLER_ERRORS = {
  CUT_ERR_CONTROLLER_NOT_RUNNING: {
    exitCode: 3,
    title: 'The controller beside the agent does not answer on its socket (the agent starts it and restarts it).',
  },
  CUT_ERR_CONTROLLER_UNAUTHORIZED: { exitCode: 3, title: 'The controller refused the admin token.' },
  CUT_ERR_CONTROLLER_REQUEST: { exitCode: 3, title: 'The controller rejected a request (a bad body, or an unexpected failure).' },
  CUT_ERR_CONTROLLER_STOPPING: { exitCode: 3, title: 'The controller is stopping and takes no new deployment.' },
  CUT_ERR_CONTROLLER_ALREADY_RUNNING: { exitCode: 3, title: 'A controller already runs for this data directory.' },
} as const;
