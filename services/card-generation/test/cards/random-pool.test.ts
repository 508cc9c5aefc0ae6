// The random pool of the synchronous path: slices never share bytes, large requests are served
// whole, and consecutive slices differ.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomSlice } from '../../src/crypto/random-pool.ts';

test('slices are disjoint views, across pool refills, and large sizes are served whole', () => {
  const seen: Buffer[] = [];
  for (let i = 0; i < 5_000; i++) seen.push(randomSlice(34));
  const ranges = new Map<ArrayBuffer, [number, number][]>();
  for (const s of seen) {
    assert.equal(s.length, 34);
    const list = ranges.get(s.buffer as ArrayBuffer) ?? [];
    for (const [from, to] of list) assert.ok(s.byteOffset >= to || s.byteOffset + 34 <= from, 'no two slices overlap');
    list.push([s.byteOffset, s.byteOffset + 34]);
    ranges.set(s.buffer as ArrayBuffer, list);
  }
  assert.ok(ranges.size >= 2, '5,000 slices of 34 bytes took more than one pool');
  assert.equal(new Set(seen.map((s) => s.toString('hex'))).size, seen.length);
  assert.equal(randomSlice(100_000).length, 100_000);
});
