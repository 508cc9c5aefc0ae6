import type { z } from 'zod';
import { ServiceKitError } from '../service-kit-error.ts';

export interface EnvConfigIssue {
  /** The environment variable at fault (`DATABASE_URL`), or `(env)` for a whole-object rule. */
  variable: string;
  message: string;
}

export type EnvConfigResult<T> = { ok: true; config: Readonly<T> } | { ok: false; issues: EnvConfigIssue[] };

type Env = Record<string, string | undefined>;

/**
 * Validate `env` against `schema`, reporting every bad variable at once. Values are never echoed
 * (they may be secrets); only names and what is wrong with them.
 */
export function parseEnvConfig<S extends z.ZodType>(schema: S, env: Env = process.env): EnvConfigResult<z.infer<S>> {
  const result = schema.safeParse(env);
  if (result.success) return { ok: true, config: Object.freeze(result.data) as Readonly<z.infer<S>> };
  const issues = result.error.issues.map((issue) => ({
    variable: issue.path.length > 0 ? issue.path.map(String).join('.') : '(env)',
    message:
      issue.code === 'invalid_type' && issue.path.length === 1 && env[String(issue.path[0])] === undefined
        ? 'is required but not set'
        : issue.message,
  }));
  return { ok: false, issues };
}

/** The multi-line text an operator reads: one line per bad variable. */
export function formatEnvConfigIssues(serviceName: string, issues: readonly EnvConfigIssue[]): string {
  const lines = issues.map((issue) => `  ${issue.variable}: ${issue.message}`);
  return `${serviceName}: invalid environment configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`;
}

/** Like `parseEnvConfig` but throws `SVC_ERR_CONFIG_INVALID` listing every bad variable. */
export function loadEnvConfig<S extends z.ZodType>(serviceName: string, schema: S, env: Env = process.env): Readonly<z.infer<S>> {
  const result = parseEnvConfig(schema, env);
  if (result.ok) return result.config;
  throw new ServiceKitError('SVC_ERR_CONFIG_INVALID', formatEnvConfigIssues(serviceName, result.issues), {
    where: result.issues.map((issue) => issue.variable).join(', '),
    hint: 'Set or fix the variables listed above (in the env file or the process environment), then start again.',
    details: { issues: result.issues },
  });
}

export interface LoadOrExitOptions {
  /** Default `process.env`. */
  env?: Env;
  /** Default `process.exit`. */
  exit?: (code: number) => void;
  /** Default `process.stderr`. */
  stderr?: { write(text: string): unknown };
}

/**
 * For a service's main module: the validated config, or every problem printed to stderr and the
 * process ended with exit code 78 (EX_CONFIG) before anything starts.
 */
export function loadEnvConfigOrExit<S extends z.ZodType>(
  serviceName: string,
  schema: S,
  options: LoadOrExitOptions = {},
): Readonly<z.infer<S>> {
  try {
    return loadEnvConfig(serviceName, schema, options.env ?? process.env);
  } catch (error) {
    if (!(error instanceof ServiceKitError)) throw error;
    (options.stderr ?? process.stderr).write(`${error.message}\n${error.hint ?? ''}\n`);
    (options.exit ?? ((code: number) => process.exit(code)))(error.exitCode);
    throw error;
  }
}
