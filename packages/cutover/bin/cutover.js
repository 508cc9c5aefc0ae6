#!/usr/bin/env node
// Entry point. In the monorepo the CLI is TypeScript run by Node's type stripping (Node >= 24); the
// published package ships the JavaScript that `npm pack` emits into dist/ (Node refuses to strip
// types inside node_modules), and no src/.
import { existsSync } from 'node:fs';
import module from 'node:module';

// Checked before anything else loads: an older Node fails inside a module with a stack trace.
const MIN_NODE_MAJOR = 24;
if (Number(process.versions.node.split('.')[0]) < MIN_NODE_MAJOR) {
  process.stderr.write(
    `error CUT_ERR_CLI_NODE_TOO_OLD: cutover needs Node.js ${MIN_NODE_MAJOR} or newer; this is Node.js ${process.versions.node}\n` +
      `  where: ${process.execPath}\n` +
      `  next:  install Node.js ${MIN_NODE_MAJOR} LTS (nvm install ${MIN_NODE_MAJOR}, or your platform's package) and run cutover with it\n`,
  );
  process.exit(2);
}

// Cache compiled (and type-stripped) modules between runs: halves the start-up time of every command.
module.enableCompileCache?.();
const source = new URL('../src/cli/main.ts', import.meta.url);
const { main } = await import(existsSync(source) ? source.href : '../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
