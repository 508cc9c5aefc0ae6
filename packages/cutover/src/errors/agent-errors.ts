export const AGENT_ERRORS = {
  CUT_ERR_AGENT_NOT_RUNNING: { exitCode: 3, title: 'The agent is not running or its admin socket cannot be reached.' },
  CUT_ERR_AGENT_UNAUTHORIZED: { exitCode: 3, title: 'The agent refused the admin token.' },
  CUT_ERR_AGENT_ALREADY_RUNNING: { exitCode: 3, title: 'An agent already runs for this data directory.' },
  CUT_ERR_AGENT_REQUEST: { exitCode: 3, title: 'The agent rejected an admin request.' },
  CUT_ERR_AGENT_PORT_IN_USE: { exitCode: 3, title: 'A proxy listener port is already in use by another process.' },
  CUT_ERR_AGENT_TLS: { exitCode: 3, title: 'A TLS certificate or key file cannot be read.' },
  CUT_ERR_AGENT_NO_PORTS: { exitCode: 3, title: 'No free private port is left in the instance port range.' },
  CUT_ERR_AGENT_INSTANCE_NOT_FOUND: { exitCode: 5, title: 'No instance with that id exists on the agent.' },
  CUT_ERR_AGENT_SPAWN: { exitCode: 1, title: 'An instance process could not be started (missing command or working directory).' },
  CUT_ERR_AGENT_INSTANCE_EXISTS: { exitCode: 1, title: 'An instance with that id is already running on the agent.' },
  CUT_ERR_AGENT_HEALTH_NEEDS_PORT: { exitCode: 2, title: 'An http or tcp health check is configured for a process type without a port env var.' },
  CUT_ERR_AGENT_SUPERVISOR_CLOSED: { exitCode: 3, title: 'The process supervisor is shutting down and accepts no new instances.' },
} as const;
