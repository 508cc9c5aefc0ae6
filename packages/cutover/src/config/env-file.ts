import { readFileSync } from 'node:fs';
import { CutoverError } from '../errors/cutover-error.ts';

/** Parses a dotenv-style file: KEY=value lines, # comments, optional single or double quotes. */
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

export function parseEnvText(text: string, file = '<env>'): Record<string, string> {
  const env: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      throw new CutoverError('CUT_ERR_CONFIG_ENV_FILE', `${file}:${i + 1}: expected KEY=value`, {
        where: `${file}:${i + 1}`,
        hint: 'each line must be KEY=value, a # comment, or blank',
      });
    }
    let value = match[2];
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\"/g, '"');
    } else {
      value = value.replace(/\s+#.*$/, '');
    }
    env[match[1]] = value;
  }
  return env;
}
