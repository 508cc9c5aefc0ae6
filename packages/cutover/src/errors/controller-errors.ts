export const CONTROLLER_ERRORS = {
  CUT_ERR_CONTROLLER_NOT_RUNNING: {
    exitCode: 3,
    title: 'The controller beside the agent does not answer on its socket (the agent starts it and restarts it).',
  },
  CUT_ERR_CONTROLLER_UNAUTHORIZED: { exitCode: 3, title: 'The controller refused the admin token.' },
  CUT_ERR_CONTROLLER_REQUEST: { exitCode: 3, title: 'The controller rejected a request (a bad body, or an unexpected failure).' },
  CUT_ERR_CONTROLLER_STOPPING: { exitCode: 3, title: 'The controller is stopping and takes no new deployment.' },
  CUT_ERR_CONTROLLER_ALREADY_RUNNING: { exitCode: 3, title: 'A controller already runs for this data directory.' },
  CUT_ERR_DASHBOARD_LISTEN: {
    exitCode: 3,
    title: 'The dashboard cannot listen on the address asked for (the port is taken, or the host is not of this machine).',
  },
  CUT_ERR_DASHBOARD_ACTION: {
    exitCode: 3,
    title: 'The dashboard refused an action (no name given, nothing to act on, or an unknown action).',
  },
  CUT_ERR_DASHBOARD_REQUEST: { exitCode: 3, title: 'The dashboard failed to answer a request (an unexpected failure inside it).' },
  CUT_ERR_MONITORING_WRITE: {
    exitCode: 2,
    title: 'cutover monitoring cannot write its files (the output directory is not writable, or a file is in the way).',
  },
  CUT_ERR_MONITORING_NO_METRICS_PORT: {
    exitCode: 2,
    title: 'cutover monitoring needs a fixed agent.metricsPort in cutover.yml for Prometheus to scrape.',
  },
} as const;
