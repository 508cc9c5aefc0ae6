import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type PatternDefinition, parsePattern } from '../../src/patterns/parse-pattern.ts';
import { counterScope, dateField, renderSerial } from '../../src/patterns/render-serial.ts';

const base: PatternDefinition = {
  template: 'S{PART}{YY}{MM}{SEQ:5}{CHECK}',
  sequenceBase: 10,
  sequenceMin: 1,
  sequenceMax: 99_999,
  incrementBy: 1,
  resetRule: 'monthly',
  checkAlgorithm: 'iso7064-mod37-2',
};

function parsed(definition: PatternDefinition) {
  const result = parsePattern(definition);
  assert.ok(result.ok, result.ok ? '' : result.problems.join('; '));
  return result.pattern;
}

describe('pattern templates', () => {
  test('renders literals, part, date fields, the padded sequence and the check character', () => {
    const pattern = parsed(base);
    const serial = renderSerial(pattern, { partId: 'p-7', date: new Date('2026-12-02T04:00:00Z'), sequence: 42 });
    assert.equal(serial.serialNumber.slice(0, -1), 'SP-7261200042');
    assert.equal(serial.checkCharacter, serial.serialNumber.slice(-1));
    assert.equal(counterScope(pattern, 'p-7', new Date('2026-12-02T04:00:00Z')), 'p-7@2026-12');
  });

  test('bases 16 and 36 in upper case; a template without {PART} shares one counter across parts', () => {
    const hex = parsed({ ...base, template: 'H{SEQ:4}', sequenceBase: 16, sequenceMax: 0xffff, resetRule: 'never', checkAlgorithm: null });
    assert.equal(renderSerial(hex, { partId: 'x', date: new Date(), sequence: 255 }).serialNumber, 'H00FF');
    assert.equal(counterScope(hex, 'A', new Date()), '*');
    const b36 = parsed({
      ...base,
      template: 'Z{SEQ:3}',
      sequenceBase: 36,
      sequenceMax: 36 ** 3 - 1,
      resetRule: 'never',
      checkAlgorithm: null,
    });
    assert.equal(renderSerial(b36, { partId: 'x', date: new Date(), sequence: 36 ** 3 - 1 }).serialNumber, 'ZZZZ');
  });

  test('date fields in UTC: day of year and ISO week', () => {
    assert.equal(dateField('JJJ', new Date('2026-12-31T23:59:59Z')), '365');
    assert.equal(dateField('JJJ', new Date('2028-12-31T00:00:00Z')), '366');
    assert.equal(dateField('WW', new Date('2026-01-01T00:00:00Z')), '01');
    assert.equal(dateField('WW', new Date('2027-01-01T00:00:00Z')), '53');
    assert.equal(dateField('WW', new Date('2026-12-02T00:00:00Z')), '49');
  });

  test('refuses patterns that cannot produce a unique value, naming why', () => {
    const problems = (definition: Partial<PatternDefinition>) => {
      const result = parsePattern({ ...base, ...definition });
      assert.equal(result.ok, false, JSON.stringify(definition));
      return result.ok ? '' : result.problems.join('; ');
    };
    assert.match(problems({ template: 'SN-{PART}-{YY}{MM}{CHECK}' }), /exactly one \{SEQ:n\}/);
    assert.match(problems({ template: 'SN-{SEQ:5}{CHECK}' }), /resetRule monthly .* must show a year and \{MM\}/);
    assert.match(problems({ template: 'SN{YY}{MM}{SEQ:3}{CHECK}' }), /needs 5 characters in base 10, more than \{SEQ:3\}/);
    assert.match(problems({ template: 'SN-{PART}-{YYYY}{MM}{DD}-{SEQ:5}{CHECK}' }), /up to 27 characters/);
    assert.match(problems({ template: 'SN-{YY}{MM}-{SEQ:5}' }), /needs \{CHECK\}/);
    assert.match(problems({ template: 'TMP-{YY}{MM}{SEQ:5}', checkAlgorithm: null }), /reserved/);
    assert.match(problems({ template: 'sn {YY}{MM}{SEQ:5}{CHECK}' }), /literal "sn "/);
    assert.match(problems({ template: '{FOO}{YY}{MM}{SEQ:5}{CHECK}' }), /unknown token \{FOO\}/);
    assert.match(problems({ template: 'S{PART}{SEQ:5}{CHECK}', resetRule: 'never', checkAlgorithm: 'luhn' }), /luhn covers digits only/);
  });
});
