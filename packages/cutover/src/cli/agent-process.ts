import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Agent, type AgentAddress } from '../agent/agent.ts';
import { agentPaths } from '../agent/agent-paths.ts';
import type { LoadedConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
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
    controllerCommand: [process.execPath, CLI_BIN, 'controller', '--data-dir', loaded.dataDir],
  });
}

/**
 * Runs an agent in this process until a signal or a shutdown request. SIGINT and `cutover down`
 * stop the apps too; SIGTERM leaves them running so a restarted agent adopts them without a gap.
 */
export async function runAgentInProcess(loaded: LoadedConfig, onReady?: (address: AgentAddress) => void | Promise<void>): Promise<number> {
  const agent = createAgent(loaded);
  const address = await agent.start();
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

/** Starts an agent in the background (detached, output to agent.log) and waits until it answers. */
export async function startBackgroundAgent(loaded: LoadedConfig): Promise<void> {
  const paths = agentPaths(loaded.dataDir);
  ensurePrivateDir(paths.dataDir);
  const log = openSync(paths.agentLog, 'a', PRIVATE_FILE_MODE);
  chmodSync(paths.agentLog, PRIVATE_FILE_MODE);
  const bin = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'agent', '--config', loaded.file], {
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
  const portClash = /CUT_ERR_AGENT_PORT_IN_USE.*/.exec(tail)?.[0];
  throw new CutoverError(
    portClash ? 'CUT_ERR_AGENT_PORT_IN_USE' : 'CUT_ERR_AGENT_NOT_RUNNING',
    portClash ?? `the agent did not start (${exited !== null ? `exited with ${exited}` : 'no answer in time'})`,
    {
      where: paths.agentLog,
      hint: portClash ? 'free that port or change agent.httpPort in cutover.yml' : `read ${paths.agentLog} for why`,
      details: { logTail: tail },
    },
  );
}
