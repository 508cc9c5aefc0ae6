import { CutoverError } from '../errors/cutover-error.ts';

/** Largest cutover.yml read (a real one is a few kilobytes; a bigger file is a mistake or an attack). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Deepest nesting of mappings and lists accepted (cutover's own schema needs about 8). */
export const MAX_CONFIG_DEPTH = 64;
/** Aliases resolved at most (an alias bomb expands each one many times over). */
export const MAX_CONFIG_ALIASES = 100;

/** The refusal of a file over MAX_CONFIG_BYTES; `head` is at least its first MAX_CONFIG_BYTES. */
export function tooLarge(file: string, head: string, bytes: number): CutoverError {
  const line = Buffer.from(head).subarray(0, MAX_CONFIG_BYTES).toString('utf8').split('\n').length;
  return new CutoverError(
    'CUT_ERR_CONFIG_TOO_LARGE',
    `${file}:${line}: the file has ${bytes} bytes, more than the ${MAX_CONFIG_BYTES} a cutover.yml may have (the limit falls on line ${line})`,
    {
      where: `${file}:${line}`,
      hint: 'a cutover.yml is a few kilobytes: check that --config names the right file',
      details: { bytes, limitBytes: MAX_CONFIG_BYTES, line },
    },
  );
}
