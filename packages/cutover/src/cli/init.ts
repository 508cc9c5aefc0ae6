import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CONFIG_FILE_NAME, parseConfigText } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import type { Command } from './command.ts';

export const initCommand: Command = {
  name: 'init',
  summary: 'write an annotated cutover.yml for the project in this directory',
  usage: 'cutover init [--service NAME] [--force]',
  options: {
    service: { type: 'string', help: 'service name (default: from package.json or the directory name)' },
    force: { type: 'boolean', help: 'overwrite an existing cutover.yml' },
  },
  exitCodes: { 2: 'a cutover.yml already exists there (--force replaces it), or the arguments are wrong' },
  async run({ options, out, cwd }) {
    const file = join(cwd, CONFIG_FILE_NAME);
    if (existsSync(file) && !options.force) {
      throw new CutoverError('CUT_ERR_CONFIG_EXISTS', `${file} already exists`, {
        where: file,
        hint: 'edit it, or pass --force to replace it',
      });
    }
    const pkg = readPackage(cwd);
    const service = (options.service as string | undefined) ?? slug(pkg?.name ?? basename(cwd));
    const command = pkg?.scripts?.start ? 'npm start' : 'node server.js';
    const text = buildInitialConfig(service, command);
    parseConfigText(text, file);
    writeFileSync(file, text);
    out.result({ file, service });
    out.line(`wrote ${file}`);
    out.line('next: put each release in releases/<name>/ (or change release: to git or build), then "cutover up --release <name>"');
    return 0;
  },
};

/** The scaffolded config: every section a first deploy needs, with the defaults spelled out. */
export function buildInitialConfig(service: string, command: string): string {
  return `# cutover.yml: how ${service} is deployed. Reference: docs/configuration.md
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
