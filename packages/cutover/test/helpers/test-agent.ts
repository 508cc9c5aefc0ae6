import { reservePortRange } from '@cutover/service-kit/testing';
import { Agent, type AgentOptions } from '../../src/agent/agent.ts';

/** A real agent for a test: loopback, any free proxy port, a port range reserved for this test process, small logs. */
export async function startTestAgent(dataDir: string, options: Partial<AgentOptions> = {}): Promise<Agent> {
  const agent = new Agent({
    dataDir,
    httpPort: 0,
    listenHost: '127.0.0.1',
    portRange: await reservePortRange(),
    logMaxBytes: 1 << 20,
    logKeepFiles: 1,
    ...options,
  });
  await agent.start();
  return agent;
}
