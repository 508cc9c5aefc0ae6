import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAnalysisDefinition } from '../../../src/analysis/parse-analysis-definition.ts';
import { createCommandProvider } from '../../../src/analysis/providers/command-provider.ts';
import type { CommandProviderConfig } from '../../../src/config/schema-analysis.ts';
import { measureContext } from '../analysis-fixtures.ts';

const TEST = { timeout: 20_000 };
let dir: string;

function config(command: string | string[], extra: Partial<CommandProviderConfig> = {}): CommandProviderConfig {
  const analysis = parseAnalysisDefinition({ metrics: [{ name: 'm', provider: { kind: 'command', command, ...extra }, max: 1 }] });
  return analysis.metrics[0].provider as CommandProviderConfig;
}

async function measure(command: string | string[], extra: Partial<CommandProviderConfig> = {}, ctx = measureContext()) {
  return createCommandProvider({ cwd: dir }).measure(config(command, extra), ctx);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cutover-analysis-command-'));
  await writeFile(join(dir, 'value.txt'), '3\n');
});
after(() => rm(dir, { recursive: true, force: true }));

describe('command provider with real commands', () => {
  test('a number on stdout is the value; the rendered command line is the query', TEST, async () => {
    const result = await measure('echo 0.42 # {{release}}');
    assert.equal(result.outcome, 'value');
    assert.equal(result.outcome === 'value' && result.value, 0.42);
    assert.equal(result.query, 'echo 0.42 # v2');
  });

  test('JSON stdout is read with jsonPath and reduce', TEST, async () => {
    const result = await measure(`printf '{"lag":[3,7,2],"n":90}'`, { jsonPath: '$.lag', reduce: 'max', countPath: '$.n' });
    assert.equal(result.outcome === 'value' && result.value, 7);
    assert.equal(result.outcome === 'value' && result.sampleCount, 90);
    assert.deepEqual(result.outcome === 'value' && result.samples, [3, 7, 2]);
  });

  test('argv form fills placeholders per argument; values are also in CUTOVER_* env vars', TEST, async () => {
    const argv = await measure(['echo', '{{release}}'], {}, measureContext({ release: '17' }));
    assert.equal(argv.outcome === 'value' && argv.value, 17);
    const env = await measure('echo $CUTOVER_WINDOW_MS');
    assert.equal(env.outcome === 'value' && env.value, 300_000);
    const custom = await measure('echo $LIMIT', { env: { LIMIT: '12.5' } });
    assert.equal(custom.outcome === 'value' && custom.value, 12.5);
  });

  test('runs in the given directory', TEST, async () => {
    const result = await measure('cat value.txt');
    assert.equal(result.outcome === 'value' && result.value, 3);
  });

  test('no output, NaN and JSON null are no data', TEST, async () => {
    for (const command of ['true', 'echo NaN', 'echo null']) {
      assert.equal((await measure(command)).outcome, 'no-data', command);
    }
  });

  test('a non-zero exit, text, +Inf and stdout that is not JSON under jsonPath are errors', TEST, async () => {
    const failed = await measure('echo broken >&2; exit 3');
    assert.equal(failed.outcome, 'error');
    assert.match(failed.outcome === 'error' ? failed.reason : '', /exited 3: broken/);
    assert.equal((await measure('echo lots')).outcome, 'error');
    assert.equal((await measure('echo +Inf')).outcome, 'error');
    assert.equal((await measure('echo 5', { jsonPath: '$.x' })).outcome, 'error', 'a bare number has no $.x');
    assert.equal((await measure('echo five', { jsonPath: '$.x' })).outcome, 'error');
    const missing = await measure(['/nonexistent/program']);
    assert.match(missing.outcome === 'error' ? missing.reason : '', /could not start/);
  });

  test('a command that runs past timeoutMs is killed and is an error', TEST, async () => {
    const startedMs = Date.now();
    const result = await measure('sleep 10; echo 1', { timeoutMs: 300 });
    assert.equal(result.outcome, 'error');
    assert.match(result.outcome === 'error' ? result.reason : '', /timed out after 300ms/);
    assert.ok(Date.now() - startedMs < 8000);
  });

  test('a shell command line refuses a release name the shell would interpret; the argv form takes it', TEST, async () => {
    const unsafe = await measure('echo {{release}}', {}, measureContext({ release: '1;touch pwned' }));
    assert.equal(unsafe.outcome, 'error');
    assert.match(unsafe.outcome === 'error' ? unsafe.reason : '', /unsafe in a shell command line/);
    const argv = await measure(['printf', '%s', '{{release}}'], {}, measureContext({ release: '1;2' }));
    assert.equal(argv.outcome, 'error', '"1;2" is not a number, but it arrived as one argument');
    assert.equal(argv.raw && (argv.raw as { stdout: string }).stdout, '1;2');
  });
});
