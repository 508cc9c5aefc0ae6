import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { agentPaths } from '../agent/agent-paths.ts';
import { followLog, readLogTail } from '../agent/supervisor/log-reader.ts';
import { loadConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import type { Command } from './command.ts';

export const logsCommand: Command = {
  name: 'logs',
  summary: 'show (or follow) the output of the service instances',
  usage: 'cutover logs [--instance ID] [--lines N] [--follow]',
  options: {
    instance: { type: 'string', short: 'i', help: 'one instance id (default: every instance of the service)' },
    lines: { type: 'string', short: 'n', help: 'lines from the end of each log (default 50)' },
    follow: { type: 'boolean', short: 'f', help: 'keep printing new lines until Ctrl-C' },
  },
  exitCodes: { 5: 'no log for that instance' },
  async run({ options, out, cwd }) {
    const loaded = loadConfig(cwd, options.config as string | undefined);
    const dir = join(agentPaths(loaded.dataDir).logDir, loaded.config.service);
    const lines = Number(options.lines ?? 50);
    if (!Number.isInteger(lines) || lines < 0)
      throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `--lines must be a whole number (got ${options.lines})`);
    const available = existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.log'))
          .map((f) => ({ id: f.slice(0, -4), file: join(dir, f), mtime: statSync(join(dir, f)).mtimeMs }))
          .sort((a, b) => a.mtime - b.mtime)
      : [];
    const wanted = options.instance ? available.filter((l) => l.id === options.instance) : available;
    if (options.instance && wanted.length === 0) {
      throw new CutoverError('CUT_ERR_AGENT_INSTANCE_NOT_FOUND', `no log for instance ${options.instance}`, {
        where: dir,
        hint: available.length ? `instances with logs: ${available.map((l) => l.id).join(', ')}` : 'no instance has run yet',
      });
    }
    const tails = await Promise.all(wanted.map(async (l) => ({ instance: l.id, lines: await readLogTail(l.file, lines) })));
    out.result({ logs: tails });
    const prefix = (id: string) => (wanted.length > 1 ? `${id} | ` : '');
    for (const tail of tails) for (const line of tail.lines) out.line(`${prefix(tail.instance)}${line}`);
    if (!options.follow) return 0;
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    await Promise.all(wanted.map((l) => followLog(l.file, (line) => out.line(`${prefix(l.id)}${line}`), controller.signal)));
    return 0;
  },
};
