// The canary and blue-green examples in the docs are real configs: each is parsed here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../../packages/cutover/src/config/load-config.ts';

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
const HEAD = 'service: shop\nprocesses:\n  web: { command: node server.js, instances: 4 }\n';
const METRIC = '{ metrics: [{ name: errors, provider: { kind: proxy, metric: error-rate }, max: 0.01 }] }';

function parseRollout(rolloutBody: string) {
  return parseConfigText(`${HEAD}rollout:\n${rolloutBody}`, '/docs/example.yml').config.rollout;
}

/** The commented block of cutover.example.yml that starts at `  # strategy: <name>`, uncommented. */
function commentedStrategy(text: string, name: string): string {
  const lines = text.split('\n');
  const start = lines.indexOf(`  # strategy: ${name}`);
  assert.ok(start >= 0, `no commented ${name} block`);
  const block: string[] = [];
  for (const line of lines.slice(start)) {
    if (!line.startsWith('  # ') || (block.length > 0 && line.startsWith('  # Or '))) break;
    block.push(`  ${line.slice(4)}`.replace(/\s+# .*$/, '').replace('{ metrics: [...] }', METRIC));
  }
  return block.join('\n');
}

test('the commented canary and blue-green blocks of docs/cutover.example.yml are valid', () => {
  const text = read('docs/cutover.example.yml');
  const canary = parseRollout(commentedStrategy(text, 'canary'));
  assert.equal(canary.strategy, 'canary');
  if (canary.strategy === 'canary') assert.equal(canary.steps.length, 7);
  const blueGreen = parseRollout(commentedStrategy(text, 'blueGreen'));
  assert.equal(blueGreen.strategy, 'blueGreen');
  const proxyLines = text
    .split('\n')
    .filter((line) => /^ {2}# (sticky: \{ cookie|forceReleaseHeader)/.test(line))
    .map((line) => `  ${line.slice(4)}`.replace(/\s+# .*$/, ''));
  const config = parseConfigText(`${HEAD}proxy:\n${proxyLines.join('\n')}\n`, '/docs/example.yml').config;
  assert.deepEqual(config.proxy.sticky, { cookie: 'cutover-release' });
});

test('the first YAML example of docs/canary.md and docs/blue-green.md is a valid rollout', () => {
  for (const [doc, strategy] of [
    ['docs/canary.md', 'canary'],
    ['docs/blue-green.md', 'blueGreen'],
  ] as const) {
    const block = /```yaml\n([\s\S]*?)```/.exec(read(doc))?.[1];
    assert.ok(block, doc);
    const config = parseConfigText(`${HEAD}${block}`, `/${doc}`).config;
    assert.equal(config.rollout.strategy, strategy, doc);
  }
});
