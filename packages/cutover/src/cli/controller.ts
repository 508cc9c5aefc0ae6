import { resolve } from 'node:path';
import { loadConfig } from '../config/load-config.ts';
import { runControllerProcess } from '../controller/run-controller-process.ts';
import type { Command } from './command.ts';

export const controllerCommand: Command = {
  name: 'controller',
  summary: 'run the controller (deployments, resumable) in the foreground; the agent starts it for you',
  usage: 'cutover controller [--data-dir DIR]',
  description:
    'Runs the controller of one data directory: it runs every submitted deployment as a reconciler over\nits record and resumes running ones after a restart. The agent starts and restarts it; run it by hand\nonly to debug.',
  exitCodes: { 3: 'no agent token in the data directory, or a controller already runs for it' },
  options: { 'data-dir': { type: 'string', help: "the agent's data directory (default: agent.dataDir of cutover.yml)" } },
  async run({ options, cwd, out }) {
    const dataDir = options['data-dir']
      ? resolve(cwd, options['data-dir'] as string)
      : loadConfig(cwd, options.config as string | undefined).dataDir;
    return runControllerProcess(dataDir, (line) => out.line(line));
  },
};
