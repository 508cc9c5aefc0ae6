import type { Output } from './output.ts';

/** Option definitions in node:util parseArgs form, plus a help line each. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** One line for --help, including the default when there is one. */
  help: string;
}

export interface CommandContext {
  args: string[];
  options: Record<string, string | boolean | string[] | undefined>;
  out: Output;
  cwd: string;
}

/** One CLI verb. Each lives in its own file under src/cli/ and holds no deployment logic itself. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Usage line, e.g. "cutover deploy <release> [options]". */
  usage: string;
  /** Longer text shown by `cutover <verb> --help`. */
  description?: string;
  options?: Record<string, OptionSpec>;
  /** Exit codes this verb ends with, besides 0, 2 and 70 (COMMON_EXIT_CODES); --help lists them. */
  exitCodes?: Record<number, string>;
  /** Returns the process exit code. Throw CutoverError for user-facing failures. */
  run(ctx: CommandContext): Promise<number>;
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  config: { type: 'string', short: 'c', help: 'path to cutover.yml (default: ./cutover.yml)' },
  env: {
    type: 'string',
    short: 'e',
    help: 'environment: merge cutover.<env>.yml over cutover.yml, with its own records and lock (default: $CUTOVER_ENV, else none)',
  },
  json: { type: 'boolean', help: 'machine-readable JSON output' },
  help: { type: 'boolean', short: 'h', help: 'show help for this command' },
};

/** Exit codes every verb can end with. */
export const COMMON_EXIT_CODES: Record<number, string> = {
  0: 'done',
  2: 'invalid cutover.yml or arguments (the error names the key or option)',
  70: 'an unexpected failure inside cutover (a bug: please report it)',
};

/** Exit codes shared by the verbs that talk to the agent or deploy. */
export const EXIT_AGENT_DOWN = { 3: 'the agent is not running, or refused the request' };
/** A follow of a deployment ended by a signal: the deployment goes on in the controller. */
export const EXIT_DETACHED = {
  129: 'SIGHUP stopped this command; the deployment goes on in the controller',
  130: 'Ctrl-C stopped this command; the deployment goes on in the controller',
  143: 'SIGTERM stopped this command; the deployment goes on in the controller',
};
export const EXIT_DEPLOY = {
  1: 'the deployment failed (the previous release was restored) or a check failed',
  3: 'the agent is not running, could not start, or refused the request',
  4: 'another deployment holds the deploy lock',
  5: 'the release (or deployment) is not found',
};
