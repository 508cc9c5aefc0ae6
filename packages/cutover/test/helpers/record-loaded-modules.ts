// Loaded with `node --import` by verb-modules.test.ts: writes the URL of every module the process
// loaded (one a line) to the file named by CUTOVER_RECORD_MODULES when the process exits.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded: string[] = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => {
  const file = process.env.CUTOVER_RECORD_MODULES;
  if (file) writeFileSync(file, `${loaded.join('\n')}\n`);
});
