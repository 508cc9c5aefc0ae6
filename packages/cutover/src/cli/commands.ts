import type { Command } from './command.ts';

/** Every CLI verb, in the order --help lists them. Each verb lives in its own file. */
export const COMMANDS: Command[] = [];
