import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { CutoverError } from '../errors/cutover-error.ts';

/** Reads and parses a dotenv file (see parseEnvText). */
export function parseEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CutoverError('CUT_ERR_CONFIG_ENV_FILE', `cannot read env file ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`, {
      where: file,
      hint: 'create the file or remove it from envFiles in cutover.yml',
    });
  }
  return parseEnvText(text, file);
}

/**
 * Parses dotenv text with Node's own parser (`util.parseEnv`: quotes, multi-line double-quoted
 * values, `export` prefixes, # comments). Node skips a line it cannot read; cutover refuses it,
 * with its line, because a typo there would silently drop a variable.
 */
export function parseEnvText(text: string, file = '<env>'): Record<string, string> {
  const lines = text.split(/\r?\n/);
  let openQuote: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (openQuote !== null) {
      if (line.includes(openQuote)) openQuote = null;
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=\s*(.*)$/.exec(line);
    if (!match) {
      throw new CutoverError('CUT_ERR_CONFIG_ENV_FILE', `${file}:${i + 1}: expected KEY=value`, {
        where: `${file}:${i + 1}`,
        hint: 'each line must be KEY=value, a # comment, or blank',
      });
    }
    const quote = match[1][0];
    if ((quote === '"' || quote === "'" || quote === '`') && !match[1].slice(1).includes(quote)) openQuote = quote;
  }
  return { ...parseEnv(text) } as Record<string, string>;
}
