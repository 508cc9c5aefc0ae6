import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { parseAnalysisDefinition } from '../../src/analysis/parse-analysis-definition.ts';

const docs = readFileSync(new URL('../../../../docs/analysis.md', import.meta.url), 'utf8');
const yamlBlocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]);

test('every whole analysis in docs/analysis.md is valid', () => {
  const analyses = yamlBlocks.filter((block) => /^metrics:/m.test(block));
  assert.equal(analyses.length, 2, 'the compliance and messaging examples');
  for (const block of analyses) {
    const definition = parseAnalysisDefinition(parse(block));
    assert.ok(definition.metrics.length >= 2);
  }
});

test('the single-metric example in docs/analysis.md is valid', () => {
  const metric = yamlBlocks.find((block) => block.startsWith('name: error-rate'));
  assert.ok(metric);
  const definition = parseAnalysisDefinition({ metrics: [parse(metric)] });
  assert.equal(definition.metrics[0].windowMs, 120_000);
});
