import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger, createService, REDACTED, REDACTED_JWT, REDACTED_PAN } from '../../src/index.ts';
import { captureLines } from '../helpers/capture-lines.ts';

const SECRETS = ['hunter2', '4111111111111111', '4111 1111 1111 1111', 's3cr3t-value', 'tok_live_abcdef', 'eyJhbGciOiJFUzI1NiJ9'];

describe('createLogger redaction (captured output)', () => {
  test('sensitive keys are censored at any depth and PANs are scrubbed from messages and values', () => {
    const out = captureLines();
    const logger = createLogger({ name: 'redaction', destination: out });
    logger.info({ user: { email: 'a@b.c', password: 'hunter2' }, card: { cardNumber: '4111111111111111', cvv: '123' } }, 'signup');
    logger.info('charging card 4111 1111 1111 1111 for order 77');
    logger.info({ note: 'customer typed 4111111111111111 into the name field', amount: 4111111111111111 }, 'odd input');
    logger.warn({ headers: { authorization: 'Bearer tok_live_abcdef', 'x-api-key': 's3cr3t-value' } }, 'forwarding');
    logger.info({ deep: { a: { b: { c: { clientSecret: 's3cr3t-value' } } } } }, 'nested');
    logger.info(`issued eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl`);
    logger.error({ err: new Error('gateway rejected 4111111111111111') }, 'payment failed');
    logger.child({ password: 'hunter2' }).info('child logger');

    const text = out.text();
    for (const secret of SECRETS) assert.ok(!text.includes(secret), `log output leaked ${secret}:\n${text}`);
    const records = out.records();
    assert.equal(records.length, 8, 'every line stays valid JSON');
    assert.deepEqual(records[0].user, { email: 'a@b.c', password: REDACTED });
    assert.deepEqual(records[0].card, { cardNumber: REDACTED, cvv: REDACTED });
    assert.equal(records[1].msg, `charging card ${REDACTED_PAN} for order 77`);
    assert.equal(records[2].amount, REDACTED_PAN);
    assert.deepEqual(records[3].headers, { authorization: REDACTED, 'x-api-key': REDACTED });
    assert.equal(records[5].msg, `issued ${REDACTED_JWT}`);
    assert.match(String((records[6].err as { message: string }).message), /\[REDACTED_PAN\]/);
    assert.equal(typeof records[0].time, 'string', 'ISO timestamps, never a 13-digit epoch');
  });

  test('request logs of a service never carry the Authorization header or a PAN in the URL', async () => {
    const out = captureLines();
    const service = createService({
      name: 'req-logs',
      logDestination: out,
      defaultMetrics: false,
      shutdown: { handleSignals: false, delayMs: 0 },
    });
    service.app.post('/login', async (request) => {
      request.log.info({ body: request.body }, 'login attempt');
      return { ok: true };
    });
    const response = await service.app.inject({
      method: 'POST',
      url: '/login?card=4111111111111111&token=tok_live_abcdef',
      headers: { authorization: 'Bearer tok_live_abcdef', 'content-type': 'application/json' },
      payload: { username: 'ana', password: 'hunter2' },
    });
    assert.equal(response.statusCode, 200);
    await service.stop();
    const text = out.text();
    assert.ok(text.includes('login attempt'), text);
    for (const secret of SECRETS) assert.ok(!text.includes(secret), `log output leaked ${secret}:\n${text}`);
  });
});
