/**
 * The payment state machine.
 *
 * States:
 *   created              the payment exists; nothing is reserved
 *   authorized           the amount is reserved on the payer's side
 *   captured             money moved (all of it, or less than authorized: the rest is released)
 *   partially_refunded   part of the captured amount went back
 *   refunded             all of the captured amount went back (final)
 *   voided               cancelled before any capture (final)
 *
 * Transitions (command: from → to):
 *   authorize  created → authorized
 *   capture    authorized → captured                       0 < amount ≤ amount authorized (default: all)
 *   void       created | authorized → voided
 *   refund     captured | partially_refunded → partially_refunded | refunded
 *                                                         0 < amount ≤ captured − refunded (default: the rest)
 *
 * Anything else is refused as `invalid_transition`; a bad amount as `invalid_amount`. The decision
 * is pure: the store applies it in one transaction, with the payment row locked, and the database
 * constraints (one capture per payment, refunds ≤ captured) refuse whatever would slip past it.
 */

export const PAYMENT_STATUSES = ['created', 'authorized', 'captured', 'partially_refunded', 'refunded', 'voided'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const PAYMENT_COMMANDS = ['authorize', 'capture', 'void', 'refund'] as const;
export type PaymentCommandKind = (typeof PAYMENT_COMMANDS)[number];

export type PaymentCommand =
  | { kind: 'authorize' }
  | { kind: 'capture'; amount?: number }
  | { kind: 'void' }
  | { kind: 'refund'; amount?: number };

/** Which commands each state accepts; an empty list marks a final state. */
export const ALLOWED_COMMANDS: Readonly<Record<PaymentStatus, readonly PaymentCommandKind[]>> = {
  created: ['authorize', 'void'],
  authorized: ['capture', 'void'],
  captured: ['refund'],
  partially_refunded: ['refund'],
  refunded: [],
  voided: [],
};

/** What a transition needs to know about the payment. */
export interface PaymentSnapshot {
  status: PaymentStatus;
  amount: number;
  capturedAmount: number;
  refundedAmount: number;
}

export type TransitionDecision =
  | {
      ok: true;
      from: PaymentStatus;
      to: PaymentStatus;
      /** Amount of the operation row (0 for authorize and void). */
      operationAmount: number;
      capturedAmount: number;
      refundedAmount: number;
    }
  | {
      ok: false;
      error: 'invalid_transition' | 'invalid_amount';
      detail: string;
      from: PaymentStatus;
      allowedCommands: readonly PaymentCommandKind[];
    };

export function isFinal(status: PaymentStatus): boolean {
  return ALLOWED_COMMANDS[status].length === 0;
}

export function decideTransition(payment: PaymentSnapshot, command: PaymentCommand): TransitionDecision {
  const from = payment.status;
  const allowedCommands = ALLOWED_COMMANDS[from];
  const refuse = (error: 'invalid_transition' | 'invalid_amount', detail: string): TransitionDecision => ({
    ok: false,
    error,
    detail,
    from,
    allowedCommands,
  });
  if (!allowedCommands.includes(command.kind)) {
    const allowed = allowedCommands.length > 0 ? `it accepts only ${allowedCommands.join(', ')}` : 'it is final';
    return refuse('invalid_transition', `cannot ${command.kind} a payment that is ${from}: ${allowed}`);
  }
  const same = { capturedAmount: payment.capturedAmount, refundedAmount: payment.refundedAmount };
  switch (command.kind) {
    case 'authorize':
      return { ok: true, from, to: 'authorized', operationAmount: 0, ...same };
    case 'void':
      return { ok: true, from, to: 'voided', operationAmount: 0, ...same };
    case 'capture': {
      const amount = command.amount ?? payment.amount;
      if (!Number.isSafeInteger(amount) || amount <= 0 || amount > payment.amount) {
        return refuse('invalid_amount', `a capture must be between 1 and ${payment.amount} (the authorized amount)`);
      }
      return { ok: true, from, to: 'captured', operationAmount: amount, capturedAmount: amount, refundedAmount: 0 };
    }
    case 'refund': {
      const remaining = payment.capturedAmount - payment.refundedAmount;
      const amount = command.amount ?? remaining;
      if (!Number.isSafeInteger(amount) || amount <= 0 || amount > remaining) {
        return refuse('invalid_amount', `a refund must be between 1 and ${remaining} (captured and not yet refunded)`);
      }
      const refundedAmount = payment.refundedAmount + amount;
      return {
        ok: true,
        from,
        to: refundedAmount === payment.capturedAmount ? 'refunded' : 'partially_refunded',
        operationAmount: amount,
        capturedAmount: payment.capturedAmount,
        refundedAmount,
      };
    }
  }
}
