import { AGENT_ERRORS } from './agent-errors.ts';
import { ANALYSIS_ERRORS } from './analysis-errors.ts';
import { CLI_ERRORS } from './cli-errors.ts';
import { CONFIG_ERRORS } from './config-errors.ts';
import { CONTROLLER_ERRORS } from './controller-errors.ts';
import { DATABASE_ERRORS } from './database-errors.ts';
import { DEPLOY_ERRORS } from './deploy-errors.ts';
import { KUBERNETES_ERRORS } from './kubernetes-errors.ts';
import { TASK_ERRORS } from './task-errors.ts';

export interface ErrorSpec {
  /** Process exit code for a command that ends with this error. */
  exitCode: number;
  /** One line for docs/errors.md: when this error happens. */
  title: string;
}

/** Every user-facing error code. docs/errors.md lists exactly these (a test keeps them in sync). */
export const ERROR_CODES = {
  ...CLI_ERRORS,
  ...CONFIG_ERRORS,
  ...AGENT_ERRORS,
  ...DEPLOY_ERRORS,
  ...CONTROLLER_ERRORS,
  ...DATABASE_ERRORS,
  ...ANALYSIS_ERRORS,
  ...TASK_ERRORS,
  ...KUBERNETES_ERRORS,
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
