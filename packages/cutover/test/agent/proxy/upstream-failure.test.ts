import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyUpstreamError, mayRetry } from '../../../src/agent/proxy/upstream-failure.ts';

function error(code: string, syscall?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code, syscall });
}

test('a refused connection never reached the app: any method retries, the target is ejected', () => {
  const failure = classifyUpstreamError(error('ECONNREFUSED', 'connect'), false, false);
  assert.deepEqual(failure, { reason: 'connect ECONNREFUSED', reachedApp: false, ejectNow: true });
  assert.equal(mayRetry(failure, 'POST', true), true);
});

test('a reset after the request went out retries only body-less GET/HEAD/OPTIONS', () => {
  const failure = classifyUpstreamError(error('ECONNRESET'), true, false);
  assert.deepEqual(failure, { reason: 'ECONNRESET before response', reachedApp: true, ejectNow: true });
  assert.equal(mayRetry(failure, 'GET', false), true);
  assert.equal(mayRetry(failure, 'HEAD', false), true);
  assert.equal(mayRetry(failure, 'OPTIONS', false), true);
  assert.equal(mayRetry(failure, 'GET', true), false);
  assert.equal(mayRetry(failure, 'POST', false), false);
  assert.equal(mayRetry(failure, 'DELETE', false), false);
});

test('a reset on a reused keep-alive socket does not eject at once', () => {
  assert.equal(classifyUpstreamError(error('ECONNRESET'), true, true).ejectNow, false);
});

test('a body that was never sent can be replayed', () => {
  const failure = classifyUpstreamError(error('ECONNRESET'), false, true);
  assert.equal(failure.reachedApp, false);
  assert.equal(mayRetry(failure, 'POST', true), true);
});
