/** What cutover prints or records in place of an env value. */
export const REDACTED = '[redacted]';

/** The same env with every value replaced: the keys stay visible, the values do not. */
export function redactEnv(env: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(Object.keys(env).map((key) => [key, REDACTED]));
}

/**
 * A copy of `value` in which every `env` map (an instance spec's, a release plan's, a check's) has
 * its values redacted. Applied where cutover's data leaves it: the admin API's answers, the
 * deployment records, the CLI's --json. Secrets from `secrets:` never get this far: only their
 * references (a file path, a command) travel, and the agent resolves them when an instance starts.
 */
export function redactEnvDeep<T>(value: T): T {
  return redactValue(value, 0) as T;
}

const MAX_DEPTH = 64;

function redactValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === 'function') return redactValue(json.call(value), depth + 1);
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = key === 'env' && isStringMap(child) ? redactEnv(child) : redactValue(child, depth + 1);
  }
  return out;
}

function isStringMap(value: unknown): value is Record<string, unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
  );
}
