import type { z } from 'zod';
import { configSchema } from '../config/schema.ts';
import { defOf, keysOf, unwrap } from '../config/schema-keys.ts';

/** One line per top-level key of cutover.yml; keys without one (new sections) still list their own keys. */
const SECTION_SUMMARIES: Record<string, string> = {
  service: "the service's name (lowercase, digits, dashes): route, records and lock are keyed by it",
  release: 'where a release comes from: a directory per release, a git ref, or a build command',
  processes: 'process types (web, worker...): command, instances, port env var, health check, restarts',
  env: 'env for every process type (text, numbers or true/false)',
  envFiles: 'KEY=value files read before env (relative to cutover.yml)',
  proxy: 'hosts, path prefix, drain timeout, WebSocket grace, sticky canary assignment',
  rollout: 'the strategy: rolling, blueGreen or canary, with its steps and analyses',
  hooks: 'commands run before and after the deploy, around the switch, after a rollback',
  agent: 'data directory (keep it out of git: it holds the admin token), ports, TLS, port range, logs',
  keepReleases: 'exported or built releases kept in the data directory',
  migrations: 'the database and directory of SQL migrations, timeouts, retries, lint rules',
  backup: 'the backup taken before migrations, retention, verification',
  checks: 'pre-deploy checks: disk, load, memory, databases, TCP, HTTP, backup age, commands',
  validation: 'checks after the switch: HTTP, dependencies, error rate',
  accessories: 'the PostgreSQL and Redis the service needs, started privately when none is reachable',
};

/** `cutover help config`: every key cutover.yml accepts, read from the schema itself, and the rules it is checked by. */
export function renderConfigHelp(): string {
  const lines = [
    'cutover.yml: one file per service, validated as a whole before anything starts.',
    '',
    'Every problem is reported at once with its path and line; unknown keys are errors. Durations take',
    '500ms, 30s, 2m, 1h, 7d or a number of milliseconds (at most 2147483647 ms where cutover waits on them).',
    'Rules between keys: listener ports differ and lie outside agent.portRange; the range holds every',
    'instance during a deploy; canary weights never go down; stripPrefix needs a pathPrefix; hosts are host',
    'names, not URLs; http and tcp health checks need a port. YAML anchors and merge keys (<<: *name) work;',
    'top-level keys starting with x- are ignored (a place for anchors).',
    '',
    'Keys (`cutover init` writes a commented starting point):',
  ];
  for (const [key, schema] of Object.entries(configSchema.shape)) {
    lines.push('', `${key}${SECTION_SUMMARIES[key] ? `: ${SECTION_SUMMARIES[key]}` : ''}`);
    for (const row of describeKeys(schema as z.ZodType)) lines.push(`  ${row}`);
  }
  lines.push('', 'Each command takes --config <path> to read another file than ./cutover.yml.', '');
  return lines.join('\n');
}

/** Rows for one section: its keys, each union branch's keys, a record's or list's element keys. */
function describeKeys(schema: z.ZodType, prefix = ''): string[] {
  const def = defOf(unwrap(schema));
  if (def.type === 'union' && def.options) {
    return def.options.flatMap((option) => {
      const keys = keysOf(option);
      if (!keys) return [];
      const shape = defOf(unwrap(option)).shape ?? {};
      const tag = Object.entries(shape).find(([, s]) => defOf(unwrap(s)).type === 'literal')?.[0];
      const literal = tag ? (defOf(unwrap(shape[tag])) as unknown as { values: unknown[] }).values[0] : undefined;
      return [
        `${prefix}${tag ? `${tag}: ${String(literal)}` : 'one of'}: ${keys.filter((k) => k !== tag).join(', ') || '(no other keys)'}`,
      ];
    });
  }
  if (def.type === 'record' && def.valueType) {
    const keys = keysOf(def.valueType);
    return keys ? [`${prefix}<name>: ${keys.join(', ')}`] : [];
  }
  if (def.type === 'array' && def.element) return describeKeys(def.element, `${prefix}- `);
  const keys = keysOf(schema);
  return keys ? [`${prefix}${keys.join(', ')}`] : [];
}
