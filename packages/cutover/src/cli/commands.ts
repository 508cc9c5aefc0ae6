import { abortCommand } from './abort.ts';
import { agentCommand } from './agent.ts';
import { checkCommand } from './check.ts';
import type { Command } from './command.ts';
import { dbCommand } from './db.ts';
import { deployCommand } from './deploy.ts';
import { downCommand } from './down.ts';
import { historyCommand } from './history.ts';
import { initCommand } from './init.ts';
import { logsCommand } from './logs.ts';
import { migrateCommand } from './migrate.ts';
import { promoteCommand } from './promote.ts';
import { rollbackCommand } from './rollback.ts';
import { statusCommand } from './status.ts';
import { upCommand } from './up.ts';

/** Every CLI verb, in the order --help lists them. Each verb lives in its own file. */
export const COMMANDS: Command[] = [
  initCommand,
  upCommand,
  deployCommand,
  statusCommand,
  rollbackCommand,
  promoteCommand,
  abortCommand,
  historyCommand,
  logsCommand,
  downCommand,
  migrateCommand,
  dbCommand,
  checkCommand,
  agentCommand,
];
