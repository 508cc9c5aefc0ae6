import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashTagOf } from '../../src/redis/pipeline-by-slot.ts';
import { partitionFor } from '../../src/streams/partition-for.ts';
import { buildStreamKeys } from '../../src/streams/stream-keys.ts';

describe('partitionFor', () => {
  test('is FNV-1a 32 of the UTF-8 bytes modulo the partition count (fixed values: every process must agree)', () => {
    // FNV-1a 32 reference values: "" = 0x811c9dc5, "a" = 0xe40c292c, "foobar" = 0xbf9cf968.
    assert.equal(partitionFor('', 2 ** 31), 0x811c9dc5 % 2 ** 31);
    assert.equal(partitionFor('a', 2 ** 31), 0xe40c292c % 2 ** 31);
    assert.equal(partitionFor('foobar', 2 ** 31), 0xbf9cf968 % 2 ** 31);
    assert.equal(partitionFor('foobar', 16), 0xbf9cf968 % 16);
    assert.equal(partitionFor('test_conv_001', 16), partitionFor('test_conv_001', 16));
  });

  test('hashes UTF-8 bytes, not UTF-16 code units', () => {
    assert.notEqual(partitionFor('é', 2 ** 31), partitionFor('\u00e9'.normalize('NFD'), 2 ** 31));
  });

  test('spreads conversations over every partition', () => {
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[partitionFor(`conversation-${i}`, 16)]++;
    for (const count of counts) assert.ok(count > 800 && count < 1200, `partition count ${count}`);
  });
});

describe('buildStreamKeys', () => {
  test('puts every key under the prefix', () => {
    const keys = buildStreamKeys('t:1:', 16);
    assert.equal(keys.stream(3), 't:1:msg:stream:3');
    assert.equal(keys.dlq(3), 't:1:msg:dlq');
    assert.equal(keys.dlq(15), 't:1:msg:dlq');
    assert.deepEqual(keys.deadLetterStreams, [{ key: 't:1:msg:dlq', partitions: [...Array(16).keys()] }]);
    assert.equal(keys.lease(15), 't:1:msg:lease:15');
    assert.equal(keys.consumers, 't:1:msg:consumers');
    assert.equal(buildStreamKeys('', 16).stream(0), 'msg:stream:0');
    assert.throws(() => buildStreamKeys('', 0), RangeError);
  });

  test('the cluster layout gives each partition one hash tag for its stream, lease and dead-letter stream', () => {
    const keys = buildStreamKeys('t:1:', 16, 'cluster');
    assert.equal(keys.stream(7), 't:1:{msg:7}:stream');
    assert.equal(keys.lease(7), 't:1:{msg:7}:lease');
    assert.equal(keys.dlq(7), 't:1:{msg:7}:dlq');
    assert.equal(keys.consumers, 't:1:{msg}:consumers');
    assert.equal(keys.deadLetterStreams.length, 16);
    for (let p = 0; p < 16; p++) {
      const tags = new Set([keys.stream(p), keys.lease(p), keys.dlq(p)].map(hashTagOf));
      assert.deepEqual([...tags], [`msg:${p}`]);
    }
    assert.throws(() => buildStreamKeys('{t}:', 16, 'cluster'), RangeError);
  });
});

describe('hashTagOf', () => {
  test('follows Redis Cluster: the first non-empty {...}, else the whole key', () => {
    assert.equal(hashTagOf('a{b}c{d}'), 'b');
    assert.equal(hashTagOf('a{}b{c}'), 'a{}b{c}');
    assert.equal(hashTagOf('a{b'), 'a{b');
    assert.equal(hashTagOf('plain'), 'plain');
  });
});
