import { loadConfig } from '../config/load-config.ts';
import { ControllerClient } from '../controller/controller-client.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { type Command, EXIT_AGENT_DOWN } from './command.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export const dashboardCommand: Command = {
  name: 'dashboard',
  summary: 'open the live web dashboard (served by the controller on 127.0.0.1) and print its address with its token',
  usage: 'cutover dashboard [--port N] [--host ADDRESS] [--json]',
  description: [
    'Asks the controller to serve the dashboard (or finds it serving) and prints its address, with a token in',
    'the URL: open it in a browser on this machine. The page shows every service of the agent, the running',
    'deployment as a timeline with its traffic weights and analysis measurements, the history, the tasks and',
    'the instance logs, live (server-sent events), with promote, abort and rollback behind a confirmation.',
    'It listens on 127.0.0.1 only unless --host names another address of this machine. The token changes when',
    'the controller restarts: run the command again then.',
  ].join('\n'),
  options: {
    port: { type: 'string', short: 'p', help: 'port to listen on (default: a free port; kept while the controller runs)' },
    host: { type: 'string', help: 'address to listen on (default 127.0.0.1; anything else opens the page to other hosts)' },
  },
  exitCodes: EXIT_AGENT_DOWN,
  async run({ options, out, cwd }) {
    const loaded = loadConfig(cwd, options.config as string | undefined);
    let port: number | undefined;
    if (options.port !== undefined) {
      port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `--port must be a port number (got ${options.port})`, {
          hint: '--port 0 picks a free one',
        });
    }
    const host = options.host as string | undefined;
    const client = new ControllerClient(loaded.dataDir);
    const address = await client.openDashboard({ host, port });
    out.result({ url: address.url, host: address.host, port: address.port, loopbackOnly: LOOPBACK.has(address.host) });
    out.line(`dashboard: ${address.url}`);
    if (!LOOPBACK.has(address.host))
      out.line(
        `warning: the dashboard listens on ${address.host}, reachable from other hosts; whoever has the URL can abort and roll back`,
      );
    return 0;
  },
};
