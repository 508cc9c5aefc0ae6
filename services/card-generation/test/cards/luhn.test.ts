// Luhn properties, checked over many random payloads: every generated number validates, every
// single-digit change is detected, and the published test numbers of processors validate.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';
import { isLuhnValid, luhnCheckDigit, withLuhnCheckDigit } from '../../src/cards/luhn.ts';

const randomDigits = (n: number) => Array.from({ length: n }, () => String(randomInt(10))).join('');

test('processors published test numbers validate; their one-digit neighbours do not', () => {
  for (const pan of [
    '4242424242424242',
    '5555555555554444',
    '2223003122003222',
    '378282246310005',
    '6011111111111117',
    '3566002020360505',
    '36227206271667',
    '6200000000000005',
  ]) {
    assert.ok(isLuhnValid(pan), pan);
    assert.ok(!isLuhnValid(pan.slice(0, -1) + String((Number(pan.at(-1)) + 1) % 10)), pan);
  }
});

test('every number with its check digit appended validates (2,000 random payloads of 11-18 digits)', () => {
  for (let i = 0; i < 2_000; i++) {
    const pan = withLuhnCheckDigit(randomDigits(randomInt(11, 19)));
    assert.ok(isLuhnValid(pan), pan);
  }
});

test('every single-digit change is detected: all positions, all nine other digits (300 random PANs)', () => {
  for (let i = 0; i < 300; i++) {
    const pan = withLuhnCheckDigit(randomDigits(randomInt(11, 19)));
    for (let position = 0; position < pan.length; position++) {
      for (let d = 0; d <= 9; d++) {
        if (String(d) === pan[position]) continue;
        const changed = pan.slice(0, position) + String(d) + pan.slice(position + 1);
        assert.ok(!isLuhnValid(changed), `${pan} -> ${changed}`);
      }
    }
  }
});

test('adjacent transpositions are detected except 09 <-> 90', () => {
  const pan = withLuhnCheckDigit('401234567890123');
  for (let position = 0; position + 1 < pan.length; position++) {
    const [a, b] = [pan[position], pan[position + 1]];
    if (a === b) continue;
    const swapped = pan.slice(0, position) + b + a + pan.slice(position + 2);
    const pair = a + b;
    if (pair === '09' || pair === '90') assert.ok(isLuhnValid(swapped));
    else assert.ok(!isLuhnValid(swapped), `${pan} swap at ${position}`);
  }
});

test('not digits, or too short, is not valid', () => {
  assert.equal(isLuhnValid(''), false);
  assert.equal(isLuhnValid('0'), false);
  assert.equal(isLuhnValid('4242 4242 4242 4242'), false);
  assert.equal(luhnCheckDigit('7992739871'), 3);
});
