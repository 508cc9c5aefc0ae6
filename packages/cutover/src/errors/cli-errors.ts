export const CLI_ERRORS = {
  CUT_ERR_CLI_UNKNOWN_COMMAND: { exitCode: 2, title: 'The command is not one cutover knows.' },
  CUT_ERR_CLI_BAD_ARGUMENT: { exitCode: 2, title: 'An option or argument is missing or malformed.' },
  CUT_ERR_CLI_NODE_TOO_OLD: { exitCode: 2, title: 'cutover was started by a Node.js older than the one it needs (24).' },
  CUT_ERR_CLI_INTERNAL: { exitCode: 70, title: 'An unexpected failure inside cutover (a bug: please report it).' },
} as const;
