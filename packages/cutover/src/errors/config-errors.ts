export const CONFIG_ERRORS = {
  CUT_ERR_CONFIG_NOT_FOUND: { exitCode: 2, title: 'No cutover.yml was found where one was expected.' },
  CUT_ERR_CONFIG_UNREADABLE: { exitCode: 2, title: 'The config file exists but cannot be read (a directory, no permission).' },
  CUT_ERR_CONFIG_PARSE: { exitCode: 2, title: 'cutover.yml is not valid YAML.' },
  CUT_ERR_CONFIG_TOO_LARGE: { exitCode: 2, title: 'cutover.yml is larger than a config can be (1 MiB).' },
  CUT_ERR_CONFIG_TOO_DEEP: { exitCode: 2, title: 'cutover.yml nests mappings or lists deeper than a config can (64 levels).' },
  CUT_ERR_CONFIG_ALIASES: { exitCode: 2, title: 'The YAML aliases in cutover.yml expand too far (more than 100 expansions).' },
  CUT_ERR_CONFIG_INVALID: { exitCode: 2, title: 'cutover.yml has one or more invalid values (each reported with its path).' },
  CUT_ERR_CONFIG_ENV_FILE: { exitCode: 2, title: 'An env file named in cutover.yml cannot be read or parsed.' },
  CUT_ERR_CONFIG_ENV_UNKNOWN: { exitCode: 2, title: '`cutover env NAME` names a variable that cutover.yml does not set.' },
  CUT_ERR_CONFIG_SECRET_UNREADABLE: { exitCode: 1, title: 'A secret of cutover.yml cannot be read from its file or command.' },
  CUT_ERR_ENVIRONMENT_NAME: { exitCode: 2, title: '--env or CUTOVER_ENV names no valid environment (lower-case letters, digits, - or _).' },
  CUT_ERR_ENVIRONMENT_UNKNOWN: {
    exitCode: 2,
    title: 'The environment asked for has no overlay file beside cutover.yml (cutover.<env>.yml).',
  },
  CUT_ERR_ENVIRONMENT_DATA_DIR: {
    exitCode: 2,
    title: 'The data directory of this config belongs to another environment (each keeps its own records and lock).',
  },
  CUT_ERR_CONFIG_EXISTS: { exitCode: 2, title: '`cutover init` would overwrite an existing cutover.yml.' },
} as const;
