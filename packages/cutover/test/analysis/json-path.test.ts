import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseJsonPath, selectJsonPath } from '../../src/config/json-path.ts';

describe('parseJsonPath', () => {
  test('reads keys, indexes and quoted keys', () => {
    assert.deepEqual(parseJsonPath('$'), []);
    assert.deepEqual(parseJsonPath('$.data.value'), [{ key: 'data' }, { key: 'value' }]);
    assert.deepEqual(parseJsonPath('$.items[0][\'x-y\']["a b"]'), [{ key: 'items' }, { index: 0 }, { key: 'x-y' }, { key: 'a b' }]);
  });

  test('refuses paths it cannot read exactly, rather than guessing', () => {
    for (const path of ['data.value', '$..value', '$.items[*]', '$.items[-1]', '$.a[?(@.x)]', '$.']) {
      assert.ok('error' in parseJsonPath(path), path);
    }
  });
});

describe('selectJsonPath', () => {
  const doc = { data: { value: 0.5, zero: 0, nothing: null }, items: [{ x: 3 }] };
  const at = (path: string) => selectJsonPath(doc, parseJsonPath(path) as never);

  test('returns the value, including falsy ones', () => {
    assert.equal(at('$.data.value'), 0.5);
    assert.equal(at('$.data.zero'), 0);
    assert.equal(at('$.data.nothing'), null);
    assert.equal(at('$.items[0].x'), 3);
  });

  test('returns undefined for any missing step, and does not walk into prototypes or through arrays by key', () => {
    assert.equal(at('$.data.missing'), undefined);
    assert.equal(at('$.items[1].x'), undefined);
    assert.equal(at('$.data.value.deeper'), undefined);
    assert.equal(at('$.data.toString'), undefined);
    assert.equal(at('$.items.length'), undefined);
  });
});
