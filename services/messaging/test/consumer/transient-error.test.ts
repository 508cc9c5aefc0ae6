import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isTransientError } from '../../src/consumer/transient-error.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isTransientError', () => {
  test('connection loss, shutdown, exhaustion, serialization, deadlocks and lock waits are transient', () => {
    for (const code of ['08006', '08001', '57P01', '57P03', '53300', '40001', '40P01', '55P03', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE'])
      assert.equal(isTransientError(withCode(code)), true, code);
    assert.equal(isTransientError(new Error('Connection terminated unexpectedly')), true);
    assert.equal(isTransientError(new Error('timeout exceeded when trying to connect')), true);
  });

  test('refused data, raised exceptions, statement timeouts and unknown errors are not', () => {
    for (const code of ['23505', '22021', 'P0001', '42P01', '57014']) assert.equal(isTransientError(withCode(code)), false, code);
    assert.equal(isTransientError(new Error('something odd')), false);
    assert.equal(isTransientError('a string'), false);
  });
});
