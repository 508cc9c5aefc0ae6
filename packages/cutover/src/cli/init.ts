import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DEFAULT_DATA_DIR } from '../config/defaults.ts';
import { checkEnvironmentName, overlayFileFor } from '../config/environment-overlay.ts';
import { selectedEnvironment } from '../config/environment-selection.ts';
import { CONFIG_FILE_NAME, parseConfigText } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import type { Command } from './command.ts';

export const initCommand: Command = {
  name: 'init',
  summary: 'write an annotated cutover.yml for the project in this directory',
  usage: 'cutover init [--service NAME] [--config PATH] [--env ENV] [--force]',
  description: [
    'Writes an annotated cutover.yml (or the file --config names) for the project in this directory, and',
    'adds the agent data directory (.cutover/: state, logs and the admin token) to .gitignore.',
    '"cutover help config" lists every key the file can hold. With --env staging it writes cutover.staging.yml',
    'instead: the overlay of that environment, merged over cutover.yml (docs/environments.md).',
  ].join('\n'),
  options: {
    service: { type: 'string', help: 'service name (default: from package.json or the directory name)' },
    force: { type: 'boolean', help: 'overwrite an existing file' },
  },
  exitCodes: { 2: 'the file already exists (--force replaces it), or the arguments are wrong' },
  async run({ options, out, cwd }) {
    const base = resolve(cwd, (options.config as string | undefined) ?? CONFIG_FILE_NAME);
    const environment = selectedEnvironment();
    // With --env: the environment's overlay beside cutover.yml, a commented start (docs/environments.md).
    const file = environment ? overlayFileFor(base, checkEnvironmentName(environment.name, environment.from)) : base;
    if (existsSync(file) && !options.force) {
      throw new CutoverError('CUT_ERR_CONFIG_EXISTS', `${file} already exists`, {
        where: file,
        hint: 'edit it, or pass --force to replace it',
      });
    }
    if (environment) {
      writeFileSync(file, buildInitialOverlay(environment.name, basename(base)));
      out.result({ file, environment: environment.name });
      out.line(`wrote ${file}: what differs in ${environment.name} from ${basename(base)} (docs/environments.md)`);
      out.line(`then "cutover up --env ${environment.name}"; its records and lock are its own (${DEFAULT_DATA_DIR}-${environment.name}/)`);
      return 0;
    }
    const projectDir = dirname(file);
    const pkg = readPackage(projectDir) ?? readPackage(cwd);
    const service = (options.service as string | undefined) ?? slug(pkg?.name ?? basename(projectDir));
    const command = pkg?.scripts?.start ? 'npm start' : 'node server.js';
    const text = buildInitialConfig(service, command);
    parseConfigText(text, file);
    mkdirSync(projectDir, { recursive: true });
    writeFileSync(file, text);
    const ignored = ensureGitignored(projectDir, DEFAULT_DATA_DIR);
    out.result({ file, service, gitignore: ignored });
    out.line(`wrote ${file}`);
    if (ignored.added) out.line(`added ${DEFAULT_DATA_DIR}/ to ${ignored.file} (the data directory holds the admin token)`);
    out.line('next: put each release in releases/<name>/ (or change release: to git or build), then "cutover up --release <name>"');
    out.line('every key the file can hold: "cutover help config"');
    return 0;
  },
};

/** The overlay `cutover init --env NAME` writes: nothing changed yet, the usual keys as comments. */
export function buildInitialOverlay(environment: string, baseName: string): string {
  return `# The ${environment} environment: what differs from ${baseName}, merged over it by --env ${environment}
# (docs/environments.md). Mappings merge key by key, a list here replaces the base's list whole,
# null removes a key. Records, deploy lock and agent are ${environment}'s own.
#
# processes:
#   web:
#     instances: 2
# env:
#   LOG_LEVEL: debug
# agent:                   # its own ports when it shares a host with another environment
#   httpPort: 8180
#   portRange: [21000, 21999]
{}
`;
}

/** Adds `<dir>/` to the .gitignore beside cutover.yml unless a line already ignores it. */
export function ensureGitignored(projectDir: string, dir: string): { file: string; added: boolean } {
  const file = join(projectDir, '.gitignore');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const patterns = new Set([dir, `${dir}/`, `/${dir}`, `/${dir}/`]);
  if (text.split(/\r?\n/).some((line) => patterns.has(line.trim()))) return { file, added: false };
  const prefix = text === '' || text.endsWith('\n') ? '' : '\n';
  writeFileSync(file, `${text}${prefix}# cutover's agent data: state, logs and the admin token\n${dir}/\n`);
  return { file, added: true };
}

/** The scaffolded config: every section a first deploy needs, with the defaults spelled out. */
export function buildInitialConfig(service: string, command: string): string {
  return `# cutover.yml: how ${service} is deployed. Every key: run "cutover help config".
service: ${service}

# Where a release's code is: one directory per release name ("cutover deploy v2" → releases/v2).
release:
  source: directory
  path: releases/{release}

processes:
  web:
    command: ${command}
    instances: 2
    portEnv: PORT            # the private port of each instance arrives in $PORT
    health:
      type: http
      path: /up              # must answer 2xx when the instance can take traffic
      intervalMs: 1s
      timeoutMs: 2s
      healthyThreshold: 1
      unhealthyThreshold: 3
      startTimeoutMs: 60s
    stopTimeoutMs: 10s       # SIGTERM, then SIGKILL after this

env:
  NODE_ENV: production
envFiles: []

proxy:
  pathPrefix: /
  drainTimeoutMs: 30s        # in-flight requests get this long to finish

rollout:
  strategy: rolling
  batchSize: 1
  healthTimeoutMs: 60s
  pauseMs: 0s
  bakeMs: 0s

hooks:
  preDeploy: []
  postDeploy: []

agent:
  httpPort: 8080
  dataDir: .cutover          # state, logs and the admin token: keep it out of git (init adds it to .gitignore)
`;
}

function readPackage(cwd: string): { name?: string; scripts?: Record<string, string> } | undefined {
  try {
    return JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

function slug(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/^@[^/]+\//, '')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 60);
  return cleaned || 'app';
}
