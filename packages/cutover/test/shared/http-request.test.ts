import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

const clients = ['../../src/platform/agent-client.ts', '../../src/controller/controller-client.ts'].map(
  (path) => new URL(path, import.meta.url).href,
);

test("the agent's and the controller's clients load without Node's bundled undici (CLI start-up)", { timeout: 60_000 }, () => {
  // process.moduleLoadList names every built-in module loaded so far, internal ones included.
  const script = `${clients.map((href) => `await import(${JSON.stringify(href)});`).join('\n')}
    console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('undici'))));`;
  const loaded = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
  assert.deepEqual(loaded, []);
});
