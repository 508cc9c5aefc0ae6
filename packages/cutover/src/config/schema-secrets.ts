import { z } from 'zod';
import { durationMs } from '../shared/duration.ts';

/** How long a secret's command may run before the instance start fails. */
export const DEFAULT_SECRET_COMMAND_TIMEOUT_MS = 30_000;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name');

/**
 * Where one secret comes from: a file (its content, less one trailing newline) or a command (its
 * stdout, likewise), read by the agent each time it starts an instance. cutover keeps the reference,
 * never the value.
 */
export const secretSourceSchema = z.union([
  z.strictObject({
    /** Path of a file holding the value, relative to cutover.yml. */
    file: z.string().min(1, 'must not be empty'),
  }),
  z.strictObject({
    /** Shell command printing the value, run in the directory of cutover.yml (a secrets manager's CLI). */
    command: z.string().min(1, 'must not be empty'),
    timeoutMs: durationMs().default(DEFAULT_SECRET_COMMAND_TIMEOUT_MS),
  }),
]);

/** `secrets:` of the config or of one process type: env var name → source. */
export const secretsSchema = z.record(envName, secretSourceSchema).default({});

export type SecretSourceConfig = z.output<typeof secretSourceSchema>;
