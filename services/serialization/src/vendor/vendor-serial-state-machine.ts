/**
 * The vendor serial state machine.
 *
 * States:
 *   received    the serial came in with the material (POST /vendor/receive); not yet looked at
 *   inspected   incoming inspection looked at the unit; awaiting the acceptance decision
 *   accepted    the unit may be used: an assembly can consume it
 *   rejected    the unit is refused (final): it can never be consumed
 *   consumed    an assembly consumed the unit (a permanent genealogy link; final)
 *
 * Transitions (command: from → to):
 *   inspect   received → inspected
 *   accept    inspected → accepted          (an inspection_pass trigger also issues it)
 *   reject    received | inspected → rejected                  a reason is required
 *   consume   accepted → consumed           (linking it into an assembly issues it)
 *
 * Anything else is refused as `invalid_transition` (409) and changes nothing. The decision is
 * pure; the store applies it with the row locked and writes the audit event (before and after)
 * in the same transaction.
 */

export const VENDOR_SERIAL_STATUSES = ['received', 'inspected', 'accepted', 'rejected', 'consumed'] as const;
export type VendorSerialStatus = (typeof VENDOR_SERIAL_STATUSES)[number];

export const VENDOR_SERIAL_COMMANDS = ['inspect', 'accept', 'reject', 'consume'] as const;
export type VendorSerialCommand = (typeof VENDOR_SERIAL_COMMANDS)[number];

/** Which state each command leads to, from which states. */
export const VENDOR_SERIAL_TRANSITIONS: Readonly<
  Record<VendorSerialCommand, { from: readonly VendorSerialStatus[]; to: VendorSerialStatus }>
> = {
  inspect: { from: ['received'], to: 'inspected' },
  accept: { from: ['inspected'], to: 'accepted' },
  reject: { from: ['received', 'inspected'], to: 'rejected' },
  consume: { from: ['accepted'], to: 'consumed' },
};

export type VendorTransitionDecision =
  | { ok: true; from: VendorSerialStatus; to: VendorSerialStatus }
  | {
      ok: false;
      error: 'invalid_transition' | 'reason_required';
      detail: string;
      from: VendorSerialStatus;
      allowed: VendorSerialCommand[];
    };

/** The commands a state accepts; none for a final state. */
export function allowedCommands(status: VendorSerialStatus): VendorSerialCommand[] {
  return VENDOR_SERIAL_COMMANDS.filter((command) => VENDOR_SERIAL_TRANSITIONS[command].from.includes(status));
}

export function decideVendorTransition(
  from: VendorSerialStatus,
  command: VendorSerialCommand,
  reason?: string | null,
): VendorTransitionDecision {
  const allowed = allowedCommands(from);
  if (!allowed.includes(command)) {
    const accepts = allowed.length > 0 ? `it accepts only ${allowed.join(', ')}` : 'it is final';
    return {
      ok: false,
      error: 'invalid_transition',
      detail: `cannot ${command} a vendor serial that is ${from}: ${accepts}`,
      from,
      allowed,
    };
  }
  if (command === 'reject' && !reason?.trim()) {
    return { ok: false, error: 'reason_required', detail: 'a rejection needs a reason (it goes into the audit trail)', from, allowed };
  }
  return { ok: true, from, to: VENDOR_SERIAL_TRANSITIONS[command].to };
}
