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
  /** Returns the process exit code. Throw CutoverError for user-facing failures. */
  run(ctx: CommandContext): Promise<number>;
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  config: { type: 'string', short: 'c', help: 'path to cutover.yml (default: ./cutover.yml)' },
  json: { type: 'boolean', help: 'machine-readable JSON output' },
  help: { type: 'boolean', short: 'h', help: 'show help for this command' },
};
