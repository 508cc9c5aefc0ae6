import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ALLOWED_COMMANDS,
  decideTransition,
  isFinal,
  PAYMENT_COMMANDS,
  PAYMENT_STATUSES,
  type PaymentSnapshot,
  type PaymentStatus,
} from '../src/payment-state-machine.ts';

const snapshot = (status: PaymentStatus, captured = 0, refunded = 0): PaymentSnapshot => ({
  status,
  amount: 1000,
  capturedAmount: captured,
  refundedAmount: refunded,
});

describe('payment state machine', () => {
  test('the transition table, state by state', () => {
    assert.deepEqual(ALLOWED_COMMANDS, {
      created: ['authorize', 'void'],
      authorized: ['capture', 'void'],
      captured: ['refund'],
      partially_refunded: ['refund'],
      refunded: [],
      voided: [],
    });
    assert.deepEqual(
      PAYMENT_STATUSES.filter((s) => isFinal(s)),
      ['refunded', 'voided'],
    );
  });

  test('every command outside the table is an invalid transition naming what is allowed', () => {
    const amounts: Record<PaymentStatus, [number, number]> = {
      created: [0, 0],
      authorized: [0, 0],
      captured: [1000, 0],
      partially_refunded: [1000, 400],
      refunded: [1000, 1000],
      voided: [0, 0],
    };
    let refused = 0;
    for (const status of PAYMENT_STATUSES) {
      for (const kind of PAYMENT_COMMANDS) {
        const decision = decideTransition(snapshot(status, ...amounts[status]), { kind });
        if (ALLOWED_COMMANDS[status].includes(kind)) {
          assert.equal(decision.ok, true, `${kind} from ${status}`);
          continue;
        }
        refused++;
        assert.equal(decision.ok, false, `${kind} from ${status}`);
        if (decision.ok) continue;
        assert.equal(decision.error, 'invalid_transition');
        assert.equal(decision.from, status);
        assert.deepEqual(decision.allowedCommands, ALLOWED_COMMANDS[status]);
        assert.match(decision.detail, new RegExp(`cannot ${kind} a payment that is ${status}`));
      }
    }
    assert.equal(refused, 6 * 4 - 6);
  });

  test('authorize and void move state only', () => {
    assert.deepEqual(decideTransition(snapshot('created'), { kind: 'authorize' }), {
      ok: true,
      from: 'created',
      to: 'authorized',
      operationAmount: 0,
      capturedAmount: 0,
      refundedAmount: 0,
    });
    assert.equal(decideTransition(snapshot('authorized'), { kind: 'void' }).ok && 'voided', 'voided');
  });

  test('capture takes the whole amount by default, or less, never more', () => {
    assert.deepEqual(decideTransition(snapshot('authorized'), { kind: 'capture' }), {
      ok: true,
      from: 'authorized',
      to: 'captured',
      operationAmount: 1000,
      capturedAmount: 1000,
      refundedAmount: 0,
    });
    const partial = decideTransition(snapshot('authorized'), { kind: 'capture', amount: 600 });
    assert.equal(partial.ok && partial.capturedAmount, 600);
    for (const amount of [0, -5, 1001, 1.5]) {
      const decision = decideTransition(snapshot('authorized'), { kind: 'capture', amount });
      assert.equal(!decision.ok && decision.error, 'invalid_amount', `capture ${amount}`);
    }
  });

  test('refunds add up to the captured amount and no further', () => {
    const first = decideTransition(snapshot('captured', 800), { kind: 'refund', amount: 300 });
    assert.deepEqual(first, {
      ok: true,
      from: 'captured',
      to: 'partially_refunded',
      operationAmount: 300,
      capturedAmount: 800,
      refundedAmount: 300,
    });
    const rest = decideTransition(snapshot('partially_refunded', 800, 300), { kind: 'refund' });
    assert.equal(rest.ok && rest.operationAmount, 500);
    assert.equal(rest.ok && rest.to, 'refunded');
    const tooMuch = decideTransition(snapshot('partially_refunded', 800, 300), { kind: 'refund', amount: 501 });
    assert.equal(!tooMuch.ok && tooMuch.error, 'invalid_amount');
    assert.match(!tooMuch.ok ? tooMuch.detail : '', /between 1 and 500/);
  });
});
