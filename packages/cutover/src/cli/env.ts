import { resolveSecrets } from '../agent/supervisor/resolve-secrets.ts';
import { loadConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { buildSecretRefs, INHERITED_ENV } from '../releases/release-plan.ts';
import type { Command } from './command.ts';
import { formatTable } from './table.ts';

/** Where one variable of a process type comes from, in words (never its value). */
export interface EnvSource {
  name: string;
  processType: string;
  source: string;
}

export const envCommand: Command = {
  name: 'env',
  summary: 'the env keys of each process type and where they come from; with a name, that one value',
  usage: 'cutover env [NAME] [--process TYPE] [--json]',
  description:
    'Without a name: every variable cutover.yml gives each process type, and its source (env, an env file,\na secret file or command), never a value. With a name: that one value, as the instance would get it\n(a secret is read from its file or command now). Everything else cutover prints shows env keys only.',
  options: { process: { type: 'string', help: 'the process type whose value is shown (default: the first that has it)' } },
  async run(ctx) {
    const { out, options } = ctx;
    const loaded = loadConfig(ctx.cwd, options.config as string | undefined);
    const { config } = loaded;
    const sources: EnvSource[] = [];
    for (const [processType, p] of Object.entries(config.processes)) {
      const fromFiles = new Set(Object.keys(loaded.env).filter((key) => !(key in config.env)));
      for (const name of INHERITED_ENV) if (process.env[name] !== undefined) sources.push({ name, processType, source: 'inherited' });
      for (const name of Object.keys(loaded.env)) {
        if (name in p.env) continue;
        sources.push({ name, processType, source: fromFiles.has(name) ? 'envFiles' : 'env' });
      }
      for (const name of Object.keys(p.env)) sources.push({ name, processType, source: `processes.${processType}.env` });
      for (const [name, source] of Object.entries({ ...config.secrets, ...p.secrets })) {
        sources.push({ name, processType, source: 'file' in source ? `secret file ${source.file}` : `secret command "${source.command}"` });
      }
    }
    const name = ctx.args[0];
    if (name === undefined) {
      out.result({ variables: sources });
      out.line(
        formatTable(
          ['PROCESS', 'NAME', 'SOURCE'],
          sources.map((s) => [s.processType, s.name, s.source]),
        ),
      );
      return 0;
    }
    const wanted = options.process as string | undefined;
    const hit = sources.find((s) => s.name === name && (wanted === undefined || s.processType === wanted));
    if (!hit) {
      throw new CutoverError(
        'CUT_ERR_CONFIG_ENV_UNKNOWN',
        `${name} is not set for ${wanted ? `process type ${wanted}` : 'any process type'}`,
        {
          where: loaded.file,
          hint: '"cutover env" lists every variable and where it comes from',
        },
      );
    }
    const p = config.processes[hit.processType];
    const secrets = buildSecretRefs(loaded.root, { ...config.secrets, ...p.secrets });
    let value: string;
    if (name in secrets) {
      const resolved = await resolveSecrets(
        { [name]: secrets[name] },
        { ...(process.env as Record<string, string>), ...loaded.env, ...p.env },
      );
      if (!resolved.ok)
        throw new CutoverError('CUT_ERR_CONFIG_SECRET_UNREADABLE', resolved.failure, {
          where: loaded.file,
          hint: 'fix the file or command in secrets:',
        });
      value = resolved.env[name];
    } else {
      value = p.env[name] ?? loaded.env[name] ?? process.env[name] ?? '';
    }
    out.result({ name, processType: hit.processType, source: hit.source, value });
    out.line(value);
    return 0;
  },
};
