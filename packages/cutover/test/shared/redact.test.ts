import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CutoverError } from '../../src/errors/cutover-error.ts';
import { REDACTED, redactEnv, redactEnvDeep } from '../../src/shared/redact.ts';

test('redactEnv keeps the keys and hides every value', () => {
  assert.deepEqual(redactEnv({ A: 'secret', B: '' }), { A: REDACTED, B: REDACTED });
});

test('redactEnvDeep redacts every env map, however deep, and leaves the rest as it was', () => {
  const spec = { id: 'v1.web.d1.1', env: { TOKEN: 'abc', PORT: '3000' }, secrets: { KEY: { file: '/run/k' } } };
  const input = { instances: [{ spec, pid: 12 }], nested: { deeper: { env: { X: 'y' } } }, count: 3, label: 'env' };
  assert.deepEqual(redactEnvDeep(input), {
    instances: [{ spec: { id: 'v1.web.d1.1', env: { TOKEN: REDACTED, PORT: REDACTED }, secrets: { KEY: { file: '/run/k' } } }, pid: 12 }],
    nested: { deeper: { env: { X: REDACTED } } },
    count: 3,
    label: 'env',
  });
  assert.equal(spec.env.TOKEN, 'abc', 'the input is not changed');
});

test('redactEnvDeep reads through toJSON (errors with details) and leaves a non-map `env` alone', () => {
  const error = new CutoverError('CUT_ERR_CONFIG_INVALID', 'bad', { details: { env: { PASSWORD: 'hunter2' } } });
  assert.doesNotMatch(JSON.stringify(redactEnvDeep({ error })), /hunter2/);
  assert.deepEqual(redactEnvDeep({ env: 'production' }), { env: 'production' });
  assert.deepEqual(redactEnvDeep({ env: { nested: { a: 1 } } }), { env: { nested: { a: 1 } } });
});
