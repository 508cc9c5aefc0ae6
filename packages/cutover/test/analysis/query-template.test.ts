import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatPromDuration, renderTemplate, templatePlaceholders, unknownPlaceholders } from '../../src/config/query-template.ts';

const values = { release: 'v2', baseline: 'v1', service: 'messaging', window: '5m' };

describe('query templates', () => {
  test('fills every known placeholder, with or without spaces', () => {
    const template = 'rate(x{release="{{release}}",base="{{ baseline }}",svc="{{service}}"}[{{window}}])';
    assert.deepEqual(renderTemplate(template, values), { text: 'rate(x{release="v2",base="v1",svc="messaging"}[5m])' });
  });

  test('encodes each value for where it lands', () => {
    assert.deepEqual(renderTemplate('/m?r={{release}}', { ...values, release: 'a b&c' }, encodeURIComponent), { text: '/m?r=a%20b%26c' });
  });

  test('a placeholder with no value is an error, not an empty string', () => {
    assert.deepEqual(renderTemplate('x{r="{{baseline}}"}', { ...values, baseline: undefined }), {
      error: 'the query uses {{baseline}} but no value was given for it',
    });
  });

  test('lists placeholders and the unknown ones', () => {
    assert.deepEqual(templatePlaceholders('{{release}} {{window}} {{release}}'), ['release', 'window']);
    assert.deepEqual(unknownPlaceholders('{{release}} {{relase}} {{ns}}'), ['relase', 'ns']);
  });

  test('formats windows as Prometheus durations in the largest exact unit', () => {
    assert.deepEqual([300_000, 30_000, 90_000, 3_600_000, 86_400_000, 1500, 0].map(formatPromDuration), [
      '5m',
      '30s',
      '90s',
      '1h',
      '1d',
      '1500ms',
      '0ms',
    ]);
  });
});
