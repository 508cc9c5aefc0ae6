#!/usr/bin/env node
// Entry point. In the monorepo the CLI is TypeScript run by Node's type stripping (Node >= 24); the
// published package ships the JavaScript that `npm pack` emits into dist/ (Node refuses to strip
// types inside node_modules), and no src/.
import { existsSync } from 'node:fs';
import module from 'node:module';

// Cache compiled (and type-stripped) modules between runs: halves the start-up time of every command.
module.enableCompileCache?.();
const source = new URL('../src/cli/main.ts', import.meta.url);
const { main } = await import(existsSync(source) ? source.href : '../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
