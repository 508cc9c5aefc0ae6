import { join } from 'node:path';

/** Where an agent keeps its files inside its data directory. Shared by the agent and its clients. */
export function agentPaths(dataDir: string) {
  return {
    dataDir,
    socket: join(dataDir, 'agent.sock'),
    token: join(dataDir, 'agent.token'),
    pidFile: join(dataDir, 'agent.pid'),
    stateDb: join(dataDir, 'agent.db'),
    logDir: join(dataDir, 'logs'),
    agentLog: join(dataDir, 'agent.log'),
    releasesDir: join(dataDir, 'releases'),
    deploymentsDb: join(dataDir, 'cutover.db'),
    controllerSocket: join(dataDir, 'controller.sock'),
    controllerPidFile: join(dataDir, 'controller.pid'),
    controllerLog: join(dataDir, 'controller.log'),
    /** HAProxy's generated config and runtime socket, when it is the data plane. */
    haproxyDir: join(dataDir, 'haproxy'),
  };
}

export type AgentPaths = ReturnType<typeof agentPaths>;
