import type { CheckSpec } from '../config/schema-checks.ts';

/** The name a check is reported and skipped by: its `name`, else one derived from kind and target. */
export function checkName(spec: CheckSpec): string {
  if (spec.name !== undefined) return spec.name;
  switch (spec.kind) {
    case 'disk':
      return `disk:${spec.path ?? 'data-dir'}`;
    case 'postgres':
    case 'redis':
      return `${spec.kind}:${spec.urlEnv !== undefined && spec.url === undefined ? `$${spec.urlEnv}` : hostOf(spec)}`;
    case 'tcp':
      return `tcp:${spec.host}:${spec.port}`;
    case 'http':
      return `http:${spec.url}`;
    case 'command':
      return `command:${spec.command.length > 40 ? `${spec.command.slice(0, 40)}…` : spec.command}`;
    default:
      return spec.kind;
  }
}

function hostOf(spec: { url?: string; host?: string; port?: number }): string {
  if (spec.url !== undefined) {
    try {
      const url = new URL(spec.url);
      return `${url.hostname || 'localhost'}${url.port ? `:${url.port}` : ''}${url.pathname.length > 1 ? url.pathname : ''}`;
    } catch {
      return 'invalid-url';
    }
  }
  return `${spec.host}${spec.port === undefined ? '' : `:${spec.port}`}`;
}

/** Names for a list of checks; a derived name used twice gets #2, #3 so every result stays addressable. */
export function assignCheckNames(specs: readonly CheckSpec[]): string[] {
  const seen = new Map<string, number>();
  return specs.map((spec) => {
    const base = checkName(spec);
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}#${count}`;
  });
}
