import { loadConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { runAgentInProcess } from './agent-process.ts';
import { writeAgentSystemdUnit } from './agent-systemd.ts';
import type { Command } from './command.ts';

export const agentCommand: Command = {
  name: 'agent',
  summary: 'run the agent (proxy + supervisor) in the foreground; "cutover up" starts it for you',
  usage: 'cutover agent [--config cutover.yml] | cutover agent systemd [--user] [--output FILE] [--run-as USER] [--stop-instances]',
  description: [
    'Runs the per-host agent in this process. Ctrl-C (SIGINT) stops it and the apps; SIGTERM stops only',
    'the agent and leaves the apps running, so that a restarted agent adopts them without a gap.',
    '',
    '  systemd   print (or --output) a hardened systemd unit that runs this agent at boot and restarts it',
    '            on failure; by default its instances survive agent restarts (docs/agent.md)',
  ].join('\n'),
  options: {
    user: { type: 'boolean', help: 'systemd: a user unit (systemctl --user) instead of a system unit' },
    output: { type: 'string', short: 'o', help: 'systemd: write the unit to this file (default: print it)' },
    'run-as': { type: 'string', help: 'systemd: the account of a system unit (default: the owner of the project directory)' },
    'stop-instances': { type: 'boolean', help: 'systemd: stopping the unit stops the apps too (SIGINT, KillMode=mixed)' },
    'read-write': { type: 'string', multiple: true, help: 'systemd: another path the apps may write (repeatable)' },
  },
  exitCodes: {
    1: 'systemd: the unit file cannot be written',
    3: 'a listener port is in use or needs privileges, or a TLS file cannot be read',
  },
  async run({ args, options, out, cwd }) {
    const loaded = loadConfig(cwd, options.config as string | undefined);
    if (args[0] === 'systemd') {
      return writeAgentSystemdUnit(
        loaded,
        {
          userUnit: Boolean(options.user),
          output: options.output as string | undefined,
          runAs: options['run-as'] as string | undefined,
          stopInstances: Boolean(options['stop-instances']),
          readWrite: (options['read-write'] as string[] | undefined) ?? [],
        },
        out,
        cwd,
      );
    }
    if (args.length > 0) {
      throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `unknown agent subcommand "${args[0]}"`, {
        hint: 'run "cutover agent" to run the agent, or "cutover agent systemd" to write its unit',
      });
    }
    return runAgentInProcess(loaded, (address) => {
      out.line(
        `agent ready: http on :${address.httpPort}${address.httpsPort ? `, https on :${address.httpsPort}` : ''}, admin ${address.admin}`,
      );
    });
  },
};
