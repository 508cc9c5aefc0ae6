import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, type AgentAddress } from '../agent/agent.ts';
import { agentPaths } from '../agent/agent-paths.ts';
import { writeEnvironmentMarker } from '../config/environment-marker.ts';
import type { LoadedConfig } from '../config/load-config.ts';
import { CutoverError, isCutoverError } from '../errors/cutover-error.ts';
import { ERROR_CODES, type ErrorCode } from '../errors/registry.ts';
import { AgentClient } from '../platform/agent-client.ts';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../shared/private-files.ts';

/** How long `cutover up` waits for a background agent to answer. */
export const AGENT_START_TIMEOUT_MS = 15_000;

const CLI_BIN = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));

/** Builds the agent from the config's agent section (with the controller beside it). */
export function createAgent(loaded: LoadedConfig): Agent {
  const { agent } = loaded.config;
  const resolveFile = (file: string) => (file.startsWith('/') ? file : `${loaded.root}/${file}`);
  return new Agent({
    dataDir: loaded.dataDir,
    httpPort: agent.httpPort,
    httpsPort: agent.httpsPort,
    tls: agent.tls ? { certFile: resolveFile(agent.tls.certFile), keyFile: resolveFile(agent.tls.keyFile) } : undefined,
    adminPort: agent.adminPort,
    metricsPort: agent.metricsPort,
    portRange: [agent.portRange[0], agent.portRange[1]],
    logMaxBytes: agent.logMaxBytes,
    logKeepFiles: agent.logKeepFiles,
    keepInstanceLogs: agent.keepInstanceLogs,
    dataPlane: loaded.config.proxy.dataPlane,
    controllerCommand: [process.execPath, CLI_BIN, 'controller', '--data-dir', loaded.dataDir],
  });
}

/**
 * Runs an agent in this process until a signal or a shutdown request. SIGINT and `cutover down`
 * stop the apps too; SIGTERM leaves them running so a restarted agent adopts them without a gap.
 */
export async function runAgentInProcess(loaded: LoadedConfig, onReady?: (address: AgentAddress) => void | Promise<void>): Promise<number> {
  const failedFile = agentFailedFile(loaded.dataDir);
  let agent: Agent | undefined;
  let address: AgentAddress;
  // What this agent starts (the controller, and through it hooks, builds and tasks) runs in its
  // environment: a `cutover` command in a hook targets the same environment by default.
  if (loaded.environment) process.env.CUTOVER_ENV = loaded.environment.name;
  else delete process.env.CUTOVER_ENV;
  try {
    agent = createAgent(loaded);
    address = await agent.start();
  } catch (error) {
    // Close whatever did open (a listener bound before the one that failed) so that this process exits,
    // and leave the error where `cutover up` reads it.
    await agent?.stop({ stopInstances: false }).catch(() => undefined);
    const startError = asStartError(error, loaded);
    if (isCutoverError(startError)) {
      ensurePrivateDir(loaded.dataDir);
      writeFileSync(failedFile, `${JSON.stringify(startError.toJSON())}\n`, { mode: 0o600 });
    }
    setTimeout(() => process.exit(isCutoverError(startError) ? startError.exitCode : 70), 100).unref();
    throw startError;
  }
  // The data directory names its environment, so another environment's config is refused there.
  writeEnvironmentMarker(loaded.dataDir, loaded.environment?.name ?? null);
  let stopping = false;
  const done = new Promise<number>((resolve) => {
    const stop = (stopInstances: boolean) => {
      if (stopping) return;
      stopping = true;
      agent.stop({ stopInstances }).then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    agent.onShutdownRequest = stop;
    process.once('SIGINT', () => stop(true));
    process.once('SIGTERM', () => stop(false));
  });
  await onReady?.(address);
  const code = await done;
  // Handles left behind (idle sockets, timers of stopped probes) must not keep a stopped agent alive.
  setTimeout(() => process.exit(code), 100).unref();
  return code;
}

/** A listener of the agent's own (admin, metrics) that cannot bind is named like a proxy port that cannot. */
function asStartError(error: unknown, loaded: LoadedConfig): unknown {
  if (isCutoverError(error)) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code !== 'EADDRINUSE' && code !== 'EACCES') return error;
  const { agent } = loaded.config;
  const port = (error as { port?: number }).port ?? agent.adminPort ?? agent.metricsPort;
  const key = port === agent.adminPort ? 'agent.adminPort' : port === agent.metricsPort ? 'agent.metricsPort' : 'a listener port';
  return code === 'EADDRINUSE'
    ? new CutoverError('CUT_ERR_AGENT_PORT_IN_USE', `port ${port} (${key}) is already in use`, {
        where: `127.0.0.1:${port}`,
        hint: `find the process with \`ss -ltnp 'sport = :${port}'\` and stop it, or set ${key} in cutover.yml to a free port`,
        details: { port },
        cause: error,
      })
    : new CutoverError('CUT_ERR_AGENT_PORT_DENIED', `the agent may not listen on port ${port} (${key})`, {
        where: `127.0.0.1:${port}`,
        hint: 'use a port above 1023',
        details: { port },
        cause: error,
      });
}

/** Starts an agent in the background (detached, output to agent.log) and waits until it answers. */
export async function startBackgroundAgent(loaded: LoadedConfig): Promise<void> {
  const paths = agentPaths(loaded.dataDir);
  ensurePrivateDir(paths.dataDir);
  const failedFile = agentFailedFile(loaded.dataDir);
  rmSync(failedFile, { force: true });
  const log = openSync(paths.agentLog, 'a', PRIVATE_FILE_MODE);
  chmodSync(paths.agentLog, PRIVATE_FILE_MODE);
  const bin = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));
  const environment = loaded.environment ? ['--env', loaded.environment.name] : [];
  const child = spawn(process.execPath, [bin, 'agent', '--config', loaded.file, ...environment], {
    detached: true,
    stdio: ['ignore', log, log],
    cwd: loaded.root,
  });
  closeSync(log);
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? 1;
  });
  child.unref();
  const client = new AgentClient(loaded.dataDir);
  const deadline = Date.now() + AGENT_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== null) break;
    if (await client.isRunning()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  const tail = existsSync(paths.agentLog) ? readFileSync(paths.agentLog, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
  const failure = readAgentFailure(failedFile);
  if (failure) {
    // The agent's own error: its code, message and next step, not a pointer to its log.
    throw new CutoverError(failure.code, failure.message, {
      where: failure.where,
      hint: failure.hint,
      details: { ...failure.details, agentLog: paths.agentLog },
    });
  }
  if (exited === null) {
    // No answer in time: stop the agent this call started rather than leave it half started.
    try {
      if (child.pid) process.kill(-child.pid, 'SIGINT');
    } catch {
      // already gone
    }
  }
  throw new CutoverError(
    'CUT_ERR_AGENT_NOT_RUNNING',
    `the agent did not start (${exited !== null ? `exited with code ${exited}` : `no answer within ${AGENT_START_TIMEOUT_MS} ms`})${tail ? `; its log ends with:\n${tail}` : ''}`,
    { where: paths.agentLog, hint: `read ${paths.agentLog} for why`, details: { logTail: tail } },
  );
}

/** Where an agent that failed to start leaves its error (as JSON) for the `cutover up` that started it. */
export function agentFailedFile(dataDir: string): string {
  return join(dataDir, 'agent-start-error.json');
}

function readAgentFailure(
  file: string,
): { code: ErrorCode; message: string; where?: string; hint?: string; details?: Record<string, unknown> } | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const failure = JSON.parse(readFileSync(file, 'utf8'));
    rmSync(file, { force: true });
    return failure.code in ERROR_CODES ? failure : undefined;
  } catch {
    return undefined;
  }
}
