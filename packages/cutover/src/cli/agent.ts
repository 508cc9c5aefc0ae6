import { loadConfig } from '../config/load-config.ts';
import { runAgentInProcess } from './agent-process.ts';
import type { Command } from './command.ts';

export const agentCommand: Command = {
  name: 'agent',
  summary: 'run the agent (proxy + supervisor) in the foreground; "cutover up" starts it for you',
  usage: 'cutover agent [--config cutover.yml]',
  description:
    'Runs the per-host agent in this process. Ctrl-C (SIGINT) stops it and the apps; SIGTERM stops only\nthe agent and leaves the apps running, so that a restarted agent adopts them without a gap.',
  exitCodes: { 3: 'a listener port is in use or needs privileges, or a TLS file cannot be read' },
  async run({ options, out, cwd }) {
    const loaded = loadConfig(cwd, options.config as string | undefined);
    return runAgentInProcess(loaded, (address) => {
      out.line(
        `agent ready: http on :${address.httpPort}${address.httpsPort ? `, https on :${address.httpsPort}` : ''}, admin ${address.admin}`,
      );
    });
  },
};
