import { loadConfig } from '../config/load-config.ts';
import { runOneOff } from '../controller/run/run-one-off.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { parseDurationMs } from '../shared/duration.ts';
import type { Command } from './command.ts';
import { reportRun, streamOutput } from './task-run-report.ts';

export const runCommand: Command = {
  name: 'run',
  summary: "run a one-off command in a release's directory and environment (default: the serving release), recorded",
  usage: 'cutover run [--release <name>] [--process <type>] [--timeout <duration>] [--json] -- <command> [args...]',
  description: [
    'Runs the command as given (no shell: write `-- sh -c "a && b"` for one) in the directory of the release',
    'that serves, with the environment its instances get, and exits with its exit code. The output streams',
    'here; the run is recorded with its exit code and the last lines of its output ("cutover tasks history").',
    'e.g. cutover run -- npm run migrate:data',
  ].join('\n'),
  options: {
    release: { type: 'string', short: 'r', help: 'the release to run in (default: the one that serves)' },
    process: { type: 'string', short: 'p', help: 'whose environment and working directory (default: the routed process type)' },
    timeout: { type: 'string', help: 'kill the command and its process group past this (default 24h)' },
  },
  async run({ args, options, out, cwd }) {
    if (args.length === 0) {
      throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', 'run needs a command after --', {
        hint: 'e.g. cutover run -- npm run migrate:data',
      });
    }
    const timeoutMs = options.timeout === undefined ? undefined : parseDurationMs(options.timeout as string);
    if (timeoutMs === undefined && options.timeout !== undefined) {
      throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `--timeout must be a duration such as 30s or 10m (got ${options.timeout})`);
    }
    const loaded = loadConfig(cwd, options.config as string | undefined);
    const processType = options.process as string | undefined;
    if (processType !== undefined && !(processType in loaded.config.processes)) {
      throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `--process ${processType} is not a process type of ${loaded.config.service}`, {
        hint: `process types: ${Object.keys(loaded.config.processes).join(', ')}`,
      });
    }
    // Ctrl-C stops the command's whole process group; the run is recorded as cancelled.
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const run = await runOneOff({
        loaded,
        command: args,
        release: options.release as string | undefined,
        processType,
        timeoutMs,
        signal: abort.signal,
        onOutput: streamOutput(out),
      });
      return reportRun(out, run, `"${args.join(' ')}"`);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
