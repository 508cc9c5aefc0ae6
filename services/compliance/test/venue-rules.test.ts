import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkEin, maskEin, VALID_EIN_PREFIXES } from '../src/venues/ein.ts';
import {
  decideVenueTransition,
  documentsFollowUp,
  VENUE_COMMANDS,
  VENUE_STATES,
  type VenueFacts,
} from '../src/venues/venue-state-machine.ts';

describe('EIN', () => {
  test('format: NN-NNNNNNN or nine digits, canonicalised', () => {
    assert.deepEqual(checkEin('12-3456789'), { ok: true, ein: '12-3456789', prefix: '12' });
    assert.deepEqual(checkEin(' 123456789 '), { ok: true, ein: '12-3456789', prefix: '12' });
    for (const bad of ['', '12-345678', '12-34567890', '1-23456789', '12 3456789', 'AB-CDEFGHI', '12--3456789']) {
      assert.equal(checkEin(bad).ok, false, bad);
      assert.equal((checkEin(bad) as { reason: string }).reason, 'format', bad);
    }
  });

  test('the IRS prefixes: every unassigned one refused, every assigned one accepted', () => {
    const unassigned = ['00', '07', '08', '09', '17', '18', '19', '28', '29', '49', '69', '70', '78', '79', '89', '96', '97'];
    for (let n = 0; n < 100; n++) {
      const prefix = String(n).padStart(2, '0');
      const result = checkEin(`${prefix}-1234567`);
      assert.equal(result.ok, !unassigned.includes(prefix), prefix);
      if (!result.ok) assert.equal(result.reason, 'prefix');
    }
    assert.equal(VALID_EIN_PREFIXES.size, 83);
  });

  test('nine identical digits are a placeholder; masking shows the last four', () => {
    assert.equal((checkEin('11-1111111') as { reason: string }).reason, 'all_same_digits');
    assert.equal(maskEin('12-3456789'), '**-***6789');
  });
});

describe('the venue state machine', () => {
  const facts = (overrides: Partial<VenueFacts> = {}): VenueFacts => ({
    state: 'in_review',
    openScreeningMatches: 0,
    screened: true,
    hasW9: true,
    hasBusinessLicense: true,
    ...overrides,
  });

  test('every state × command: exactly the transitions of the header are allowed', () => {
    const allowed = new Set<string>();
    for (const state of VENUE_STATES) {
      for (const command of VENUE_COMMANDS) {
        for (const actor of ['system', 'reviewer', 'admin'] as const) {
          const decision = decideVenueTransition(facts({ state }), command, actor, 'because');
          if (decision.ok) allowed.add(`${command}: ${state} → ${decision.to} (${actor})`);
        }
      }
    }
    assert.deepEqual([...allowed].sort(), [
      'reject: documents_required → rejected (admin)',
      'reject: documents_required → rejected (reviewer)',
      'reject: in_review → rejected (admin)',
      'reject: in_review → rejected (reviewer)',
      'reject: pending → rejected (admin)',
      'reject: pending → rejected (reviewer)',
      'reopen: rejected → in_review (admin)',
      'reopen: verified → in_review (admin)',
      'request_documents: pending → documents_required (system)',
      'submit_for_review: documents_required → in_review (system)',
      'submit_for_review: pending → in_review (system)',
      'verify: in_review → verified (admin)',
      'verify: in_review → verified (reviewer)',
    ]);
  });

  test('a venue role can never move a venue; refusals say why', () => {
    for (const command of VENUE_COMMANDS) assert.equal(decideVenueTransition(facts(), command, 'venue', 'x').ok, false);
    assert.deepEqual(decideVenueTransition(facts({ state: 'verified' }), 'verify', 'reviewer'), {
      ok: false,
      error: 'invalid_transition',
      detail: 'cannot verify a venue that is verified: it accepts reopen',
    });
    assert.equal((decideVenueTransition(facts(), 'reject', 'reviewer', '  ') as { error: string }).error, 'reason_required');
  });

  test('a possible sanctions match, or no screening at all, blocks verification', () => {
    const open = decideVenueTransition(facts({ openScreeningMatches: 2 }), 'verify', 'reviewer');
    assert.equal(open.ok, false);
    assert.equal((open as { error: string }).error, 'screening_open');
    assert.match((open as { detail: string }).detail, /2 sanctions screening match/);
    assert.equal((decideVenueTransition(facts({ screened: false }), 'verify', 'reviewer') as { error: string }).error, 'screening_open');
    assert.equal((decideVenueTransition(facts({ hasW9: false }), 'verify', 'admin') as { error: string }).error, 'documents_missing');
    assert.equal(decideVenueTransition(facts(), 'verify', 'reviewer').ok, true);
  });

  test('documents move an early venue on', () => {
    assert.equal(documentsFollowUp(facts({ state: 'pending', hasW9: false })), 'request_documents');
    assert.equal(documentsFollowUp(facts({ state: 'pending' })), 'submit_for_review');
    assert.equal(documentsFollowUp(facts({ state: 'documents_required', hasBusinessLicense: false })), null);
    assert.equal(documentsFollowUp(facts({ state: 'documents_required' })), 'submit_for_review');
    assert.equal(documentsFollowUp(facts({ state: 'in_review' })), null);
  });
});
