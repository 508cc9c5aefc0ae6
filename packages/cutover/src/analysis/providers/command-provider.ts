import { resolve } from 'node:path';
import { renderTemplate, type TemplateValues, templatePlaceholders, templateValues } from '../../config/query-template.ts';
import type { CommandProviderConfig } from '../../config/schema-analysis.ts';
import { describeExit, runProcess } from '../../shared/run-process.ts';
import { type MetricProvider, measurementError, noData } from '../metric-provider.ts';
import { readJsonDocument } from '../read-json-document.ts';
import { readJsonMeasurement } from '../read-number.ts';

export interface CommandProviderOptions {
  /** Directory commands run in, and that a relative `cwd` resolves from (default: process.cwd()). */
  cwd?: string;
  /** Base environment of the commands (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Values a shell command line may have substituted unquoted: nothing the shell would interpret. */
const SHELL_SAFE = /^[A-Za-z0-9._:/@%+=,-]*$/;
const OUTPUT_EXCERPT_CHARS = 200;

/**
 * A command whose stdout is the value: a number, or JSON picked with jsonPath. Exit status other
 * than 0, a timeout, or unreadable output is an error; empty output, null and NaN are no data.
 * The placeholder values are also in the environment (CUTOVER_RELEASE, CUTOVER_BASELINE_RELEASE,
 * CUTOVER_SERVICE, CUTOVER_WINDOW, CUTOVER_WINDOW_MS) for scripts that prefer them.
 */
export function createCommandProvider(options: CommandProviderOptions = {}): MetricProvider<CommandProviderConfig> {
  const baseDir = options.cwd ?? process.cwd();
  return {
    async measure(config, ctx) {
      const values = templateValues(ctx);
      const argv = buildArgv(config.command, values);
      const query = typeof config.command === 'string' ? config.command : config.command.join(' ');
      if ('error' in argv) return measurementError(query, argv.error);
      const rendered = typeof config.command === 'string' ? argv.argv[2] : argv.argv.join(' ');
      const env = {
        ...(options.env ?? process.env),
        ...config.env,
        CUTOVER_RELEASE: ctx.release,
        CUTOVER_BASELINE_RELEASE: ctx.baselineRelease ?? '',
        CUTOVER_SERVICE: ctx.service ?? '',
        CUTOVER_WINDOW: values.window,
        CUTOVER_WINDOW_MS: String(ctx.windowMs),
      };
      const cwd = config.cwd === undefined ? baseDir : resolve(baseDir, config.cwd);
      const result = await runProcess(argv.argv[0], argv.argv.slice(1), { cwd, env, timeoutMs: config.timeoutMs, signal: ctx.signal });
      const raw = {
        exitCode: result.exitCode,
        stdout: result.stdout.slice(0, OUTPUT_EXCERPT_CHARS),
        stderr: result.stderr.slice(-OUTPUT_EXCERPT_CHARS),
      };
      if (result.spawnError || result.timedOut || result.aborted || result.exitCode !== 0) {
        return measurementError(rendered, `the command ${describeExit(result, config.timeoutMs)}`, raw);
      }
      const text = result.stdout.trim();
      if (text === '') return noData(rendered, 'the command printed nothing', raw);
      let document: unknown;
      try {
        document = JSON.parse(text);
      } catch {
        if (config.jsonPath !== undefined) return measurementError(rendered, 'stdout is not JSON, but jsonPath is set', raw);
        return { ...readJsonMeasurement(text, config.reduce, rendered, 'stdout'), raw };
      }
      const measured = readJsonDocument(document, config, rendered);
      return { ...measured, raw: { ...raw, ...(measured.raw as object) } };
    },
  };
}

/** The program and arguments to run: `sh -c` for a command line, the array itself otherwise. */
export function buildArgv(command: string | readonly string[], values: TemplateValues): { argv: string[] } | { error: string } {
  if (typeof command === 'string') {
    for (const name of templatePlaceholders(command)) {
      const value = values[name as keyof TemplateValues];
      if (value !== undefined && !SHELL_SAFE.test(value)) {
        return {
          error: `{{${name}}} is ${JSON.stringify(value)}, which is unsafe in a shell command line: use the argv form or $CUTOVER_* variables`,
        };
      }
    }
    const line = renderTemplate(command, values);
    return 'error' in line ? line : { argv: ['/bin/sh', '-c', line.text] };
  }
  const argv: string[] = [];
  for (const part of command) {
    const rendered = renderTemplate(part, values);
    if ('error' in rendered) return rendered;
    argv.push(rendered.text);
  }
  return { argv };
}
