// The programmatic entry of the `cutover` package: what a script or a test of a user's service may
// import. The CLI (`npx cutover ...`) is the product; this is the small surface beside it.

export { main } from './cli/main.ts';
export { CONFIG_FILE_NAME, type ConfigProblem, type LoadedConfig, loadConfig, parseConfigText } from './config/load-config.ts';
export type { CutoverConfigInput, ParsedConfig } from './config/schema.ts';
export { CutoverError, isCutoverError } from './errors/cutover-error.ts';
export { ERROR_CODES, type ErrorCode } from './errors/registry.ts';
