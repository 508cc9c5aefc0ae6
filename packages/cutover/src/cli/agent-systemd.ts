import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAgentUnit } from '../agent/systemd-unit.ts';
import type { LoadedConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import type { Output } from './output.ts';

const CLI_BIN = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));

export interface AgentSystemdOptions {
  userUnit: boolean;
  output?: string;
  runAs?: string;
  stopInstances: boolean;
  readWrite: readonly string[];
}

interface Account {
  name: string;
  uid: number;
  group: string;
}

/** A passwd entry by name or uid through NSS (getent), so directory accounts count too. */
function lookupAccount(key: string): Account | undefined {
  let line: string;
  try {
    line = execFileSync('getent', ['passwd', key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
  const [name, , uid, gid] = line.split(':');
  let group = gid;
  try {
    group = execFileSync('getent', ['group', gid], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(':')[0] || gid;
  } catch {
    // a gid without a group entry: systemd takes the number
  }
  return { name, uid: Number(uid), group };
}

const inside = (child: string, parent: string) => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** `cutover agent systemd`: the unit for this config's agent, on stdout or into --output. */
export function writeAgentSystemdUnit(loaded: LoadedConfig, options: AgentSystemdOptions, out: Output, cwd: string): number {
  const { agent } = loaded.config;
  const privilegedPort = [agent.httpPort, agent.httpsPort].some((port) => port !== undefined && port > 0 && port < 1024);
  let account: Account | undefined;
  if (!options.userUnit) {
    const key = options.runAs ?? String(statSync(loaded.root).uid);
    account = lookupAccount(key);
    if (!account) {
      throw new CutoverError(
        'CUT_ERR_AGENT_UNIT_USER_UNKNOWN',
        options.runAs
          ? `no account "${options.runAs}" on this host (getent passwd)`
          : `the owner (uid ${key}) of ${loaded.root} has no account`,
        { hint: 'pass --run-as <user> with an existing account that owns the project and its data directory' },
      );
    }
    if (account.uid === 0 && !privilegedPort) {
      out.warn(`the agent would run as root (the owner of ${loaded.root}); pass --run-as <user> to run it as an unprivileged account`);
    }
  } else if (privilegedPort) {
    throw new CutoverError(
      'CUT_ERR_AGENT_UNIT_PRIVILEGED_PORT',
      `agent.httpPort/httpsPort ${[agent.httpPort, agent.httpsPort].filter((p) => p !== undefined).join('/')} is below 1024, which a user unit cannot bind`,
      { hint: 'write a system unit (without --user; it grants CAP_NET_BIND_SERVICE), or choose a port from 1024 in agent.httpPort' },
    );
  }
  const readWrite = [loaded.root];
  for (const path of [loaded.dataDir, ...options.readWrite.map((p) => resolve(cwd, p))]) {
    if (!readWrite.some((kept) => inside(path, kept))) readWrite.push(path);
  }
  const stopTimeoutMs = Math.max(10_000, ...Object.values(loaded.config.processes).map((p) => p.stopTimeoutMs));
  const unit = buildAgentUnit({
    configFile: loaded.file,
    execStart: [process.execPath, CLI_BIN, 'agent', '--config', loaded.file],
    workingDirectory: loaded.root,
    dataDir: loaded.dataDir,
    readWritePaths: readWrite,
    userUnit: options.userUnit,
    user: account && { name: account.name, group: account.group },
    stopInstances: options.stopInstances,
    // Stopping instances takes up to their stopTimeoutMs (they stop in parallel), plus the agent's own shutdown.
    timeoutStopSec: Math.ceil((options.stopInstances ? stopTimeoutMs + 30_000 : 30_000) / 1000),
    privilegedPort,
    pathDirs: [dirname(process.execPath)],
  });
  const systemctl = options.userUnit ? 'systemctl --user' : 'systemctl';
  if (!options.output) {
    out.result({ unit, user: account?.name ?? null, userUnit: options.userUnit });
    if (!out.json) process.stdout.write(unit);
    return 0;
  }
  const file = resolve(cwd, options.output);
  const name = file.split('/').pop() ?? 'cutover-agent.service';
  try {
    // A unit holds no secret (the admin token stays in the data directory): systemd wants it readable.
    writeFileSync(file, unit, { mode: 0o644 });
  } catch (error) {
    throw new CutoverError('CUT_ERR_AGENT_UNIT_WRITE', `cannot write ${file}: ${(error as Error).message}`, {
      hint: options.userUnit
        ? 'create ~/.config/systemd/user/ first, or pick another --output'
        : 'write into /etc/systemd/system/ as root (sudo), or pick another --output',
    });
  }
  out.result({ unit, file, user: account?.name ?? null, userUnit: options.userUnit });
  out.line(`wrote ${file}${account ? ` (the agent runs as ${account.name})` : ''}`);
  out.line(`  start it now and at every boot: ${systemctl} daemon-reload && ${systemctl} enable --now ${name}`);
  if (options.userUnit) out.line('  keep it running while you are logged out: loginctl enable-linger');
  return 0;
}
