/**
 * The venue verification state machine.
 *
 * States:
 *   pending              submitted: legal name, EIN (format and IRS prefix checked) and address
 *   documents_required   waiting for the W-9 and the business licence
 *   in_review            everything is in; a reviewer decides
 *   verified             the venue may sell tickets
 *   rejected             refused, with a reason (final unless an admin reopens it)
 *
 * Transitions (command: from → to, who):
 *   request_documents  pending → documents_required                  system (documents missing)
 *   submit_for_review  pending | documents_required → in_review      system (both documents in)
 *   verify             in_review → verified                          reviewer; refused while a
 *                                                                    sanctions screening is missing or not cleared
 *   reject             pending | documents_required | in_review → rejected   reviewer (reason required)
 *   reopen             verified | rejected → in_review               admin (reason required): a new
 *                                                                    sanctions hit, a revoked licence
 *
 * Anything else is refused as `invalid_transition`. The decision is pure; the venue store applies
 * it with the venue row locked and writes one `venue_events` row per transition (the audit trail:
 * from, to, command, actor, reason, time), in the same transaction.
 */

export const VENUE_STATES = ['pending', 'documents_required', 'in_review', 'verified', 'rejected'] as const;
export type VenueState = (typeof VENUE_STATES)[number];

export const VENUE_COMMANDS = ['request_documents', 'submit_for_review', 'verify', 'reject', 'reopen'] as const;
export type VenueCommand = (typeof VENUE_COMMANDS)[number];

export type Role = 'venue' | 'reviewer' | 'admin' | 'system';

interface TransitionRule {
  from: readonly VenueState[];
  to: VenueState;
  /** Who may issue it; `system` commands follow from uploads and screenings. */
  by: readonly Role[];
  reasonRequired: boolean;
}

export const VENUE_TRANSITIONS: Readonly<Record<VenueCommand, TransitionRule>> = {
  request_documents: { from: ['pending'], to: 'documents_required', by: ['system'], reasonRequired: false },
  submit_for_review: { from: ['pending', 'documents_required'], to: 'in_review', by: ['system'], reasonRequired: false },
  verify: { from: ['in_review'], to: 'verified', by: ['reviewer', 'admin'], reasonRequired: false },
  reject: { from: ['pending', 'documents_required', 'in_review'], to: 'rejected', by: ['reviewer', 'admin'], reasonRequired: true },
  reopen: { from: ['verified', 'rejected'], to: 'in_review', by: ['admin'], reasonRequired: true },
};

/** What the decision needs to know besides the state. */
export interface VenueFacts {
  state: VenueState;
  /** Screenings of this venue with a possible match that no reviewer has cleared. */
  openScreeningMatches: number;
  /** Whether the venue has been screened at all (no list loaded yet: not screened). */
  screened: boolean;
  hasW9: boolean;
  hasBusinessLicense: boolean;
}

export type VenueTransition =
  | { ok: true; from: VenueState; to: VenueState; command: VenueCommand }
  | { ok: false; error: 'invalid_transition' | 'not_allowed' | 'reason_required' | 'screening_open' | 'documents_missing'; detail: string };

export function decideVenueTransition(facts: VenueFacts, command: VenueCommand, actor: Role, reason?: string): VenueTransition {
  const rule = VENUE_TRANSITIONS[command];
  if (!rule.by.includes(actor)) {
    return { ok: false, error: 'not_allowed', detail: `${command} needs the role ${rule.by.join(' or ')}` };
  }
  if (!rule.from.includes(facts.state)) {
    const accepted = VENUE_COMMANDS.filter((c) => VENUE_TRANSITIONS[c].from.includes(facts.state));
    return {
      ok: false,
      error: 'invalid_transition',
      detail: `cannot ${command} a venue that is ${facts.state}: it accepts ${accepted.join(', ') || 'nothing'}`,
    };
  }
  if (rule.reasonRequired && !reason?.trim()) {
    return { ok: false, error: 'reason_required', detail: `${command} needs a reason` };
  }
  if (command === 'verify' && !facts.screened) {
    return { ok: false, error: 'screening_open', detail: 'the venue has not been screened against a sanctions list yet: screen it first' };
  }
  if (command === 'verify' && facts.openScreeningMatches > 0) {
    return {
      ok: false,
      error: 'screening_open',
      detail: `${facts.openScreeningMatches} sanctions screening match(es) must be cleared by a reviewer before the venue can be verified`,
    };
  }
  if ((command === 'verify' || command === 'submit_for_review') && !(facts.hasW9 && facts.hasBusinessLicense)) {
    return { ok: false, error: 'documents_missing', detail: 'a W-9 and a business licence are both required' };
  }
  return { ok: true, from: facts.state, to: rule.to, command };
}

/** The command that follows from the documents on file, for a venue in an early state. */
export function documentsFollowUp(facts: VenueFacts): VenueCommand | null {
  const complete = facts.hasW9 && facts.hasBusinessLicense;
  if (facts.state === 'pending') return complete ? 'submit_for_review' : 'request_documents';
  if (facts.state === 'documents_required' && complete) return 'submit_for_review';
  return null;
}
