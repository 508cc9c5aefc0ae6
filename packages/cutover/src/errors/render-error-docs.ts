import { ERROR_CODES } from './registry.ts';

/** docs/errors.md, generated from the registry so the two never disagree (a test compares them). */
export function renderErrorDocs(): string {
  const rows = Object.entries(ERROR_CODES)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, spec]) => `| \`${code}\` | ${spec.exitCode} | ${spec.title} |`);
  return [
    '# Error codes',
    '',
    'Every error cutover reports carries one of these codes, a message saying what went wrong and where,',
    'and a `next:` line saying what to do. With `--json` the same fields come as',
    '`{ "error": { "code", "message", "where", "hint", "details", "exitCode" } }`.',
    'The process exit code is the one listed here.',
    '',
    'This page is generated from the code: `npm run docs:errors`.',
    '',
    '| code | exit | when |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
