import { parseArgs } from 'node:util';
import { runInEnvironment } from '../config/environment-selection.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { ERROR_CODES } from '../errors/registry.ts';
import { COMMON_EXIT_CODES, type Command, GLOBAL_OPTIONS, type OptionSpec } from './command.ts';
import { COMMANDS } from './commands.ts';
import { endQuietlyOnClosedPipe, Output } from './output.ts';

/** Runs one CLI invocation and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  endQuietlyOnClosedPipe();
  const [verb, ...rest] = argv;
  // Everything after `--` belongs to the command a verb runs (cutover run -- node x.js --json): not to cutover.
  const end = argv.indexOf('--');
  const wantsJson = (end === -1 ? argv : argv.slice(0, end)).includes('--json');
  const out = new Output({ json: wantsJson });
  try {
    if (verb === 'help' && rest[0] !== undefined) return await renderHelpTopic(rest[0]);
    if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
      process.stdout.write(renderOverview());
      return 0;
    }
    if (verb === '--version' || verb === '-v') {
      process.stdout.write(`${await readVersion()}\n`);
      return 0;
    }
    const entry = COMMANDS.find((c) => c.name === verb);
    if (!entry) {
      const meant = await nearest(
        verb,
        COMMANDS.map((c) => c.name),
      );
      throw new CutoverError('CUT_ERR_CLI_UNKNOWN_COMMAND', `unknown command "${verb}"${meant ? ` (did you mean "${meant}"?)` : ''}`, {
        hint: `run "cutover --help" to see the commands: ${COMMANDS.map((c) => c.name).join(', ')}`,
      });
    }
    const command = await entry.load();
    const specs: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS, ...command.options };
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args: rest, options: specs, allowPositionals: true, strict: true });
    } catch (error) {
      const unknown =
        (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && /'(-{1,2})([^'=]+)/.exec((error as Error).message);
      const meant = unknown && unknown[1] === '--' ? await nearest(unknown[2] as string, Object.keys(specs)) : undefined;
      const message = unknown
        ? `unknown option "${unknown[1]}${unknown[2]}" for "cutover ${command.name}"${meant ? ` (did you mean "--${meant}"?)` : ''}; a value starting with "-" goes after "--"`
        : (error as Error).message;
      throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', message, {
        hint: `run "cutover ${command.name} --help" for its options`,
      });
    }
    if (parsed.values.help) {
      process.stdout.write(renderCommandHelp(command));
      return 0;
    }
    const options = parsed.values as Record<string, string | boolean | string[] | undefined>;
    return await runInEnvironment(options.env as string | undefined, () =>
      command.run({ args: parsed.positionals, options, out, cwd: process.cwd() }),
    );
  } catch (error) {
    out.error(error);
    if (error instanceof CutoverError) return error.exitCode;
    return ERROR_CODES.CUT_ERR_CLI_INTERNAL.exitCode;
  }
}

/** The known word a mistyped one most likely meant (loaded only when a word is unknown: start-up stays small). */
async function nearest(word: string, known: readonly string[]): Promise<string | undefined> {
  const { closestKey } = await import('../config/schema-keys.ts');
  return closestKey(word, known);
}

function renderOverview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = [
    'cutover: zero-downtime deploys, migrations and rollbacks from one cutover.yml',
    '',
    'Usage: cutover <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --config <path>, --env <environment>, --json and --help.',
    '"cutover help config" lists every key of cutover.yml; "cutover help <command>" shows a command\'s help.',
    'Start here: "cutover init" writes a cutover.yml, "cutover up" starts the agent and the service.',
    '',
  ];
  return lines.join('\n');
}

/** `cutover help config` (every key of cutover.yml) or `cutover help <command>`. */
async function renderHelpTopic(topic: string): Promise<number> {
  if (topic === 'config' || topic === 'cutover.yml') {
    process.stdout.write((await import('./help-config.ts')).renderConfigHelp());
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === topic);
  if (!entry) {
    throw new CutoverError('CUT_ERR_CLI_UNKNOWN_COMMAND', `no help topic "${topic}"`, {
      hint: `topics: config, ${COMMANDS.map((c) => c.name).join(', ')}`,
    });
  }
  process.stdout.write(renderCommandHelp(await entry.load()));
  return 0;
}

export function renderCommandHelp(command: Command): string {
  const specs: Record<string, OptionSpec> = { ...command.options, ...GLOBAL_OPTIONS };
  const rows = Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ' <value>' : ''}`;
    return [flag, spec.help] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    `Usage: ${command.usage}`,
    '',
    command.description ?? command.summary,
    '',
    'Options:',
    ...rows.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`),
    '',
    'Exit codes:',
    ...Object.entries({ ...COMMON_EXIT_CODES, ...command.exitCodes })
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([code, meaning]) => `  ${code.padStart(2)}  ${meaning}`),
    '',
  ].join('\n');
}

async function readVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
