// The service in process on real PostgreSQL and Redis: a venue from submission to verification,
// every refusal a 4xx problem that changes nothing, every transition in the audit trail.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { complianceEnv, tokenFor } from './support/compliance-env.ts';
import { api, PDF_BYTES, PNG_BYTES, venueBody } from './support/http-json.ts';
import { type RunningCompliance, startCompliance } from './support/in-process.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';

describe('venue verification (PostgreSQL, Redis, in process)', () => {
  let db: TestDatabase;
  let svc: RunningCompliance;
  let owner: string;
  let stranger: string;
  let reviewer: string;
  let admin: string;

  before(async () => {
    db = await createMigratedDatabase('venues');
    svc = await startCompliance(complianceEnv(db.url));
    owner = await tokenFor('venue-owner-1', ['venue']);
    stranger = await tokenFor('venue-owner-2', ['venue']);
    reviewer = await tokenFor('reviewer-1', ['reviewer']);
    admin = await tokenFor('admin-1', ['admin']);
  });
  after(async () => {
    await svc?.stop();
    await db?.drop();
  });

  const upload = (id: string, kind: string, body: Buffer, type: string, token = owner) =>
    fetch(`${svc.url}/venues/${id}/documents/${kind}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body,
    });
  const venueCount = async () => Number((await db.pool.query('SELECT count(*) FROM venues')).rows[0].count);

  test('bad input is a 4xx problem and creates nothing', async () => {
    const before = await venueCount();
    const badEin = await api(`${svc.url}/venues`, { token: owner, body: venueBody({ ein: '07-1234567' }) });
    assert.equal(badEin.status, 422);
    assert.equal(badEin.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.match(badEin.body.detail, /^ein: the IRS assigns no EIN starting with 07/);
    assert.equal(badEin.body.errors[0].reason, 'prefix');
    const malformed = await api(`${svc.url}/venues`, { token: owner, body: venueBody({ ein: '12345' }) });
    assert.equal(malformed.status, 422);
    assert.equal(malformed.body.errors[0].reason, 'format');
    const badAddress = await api(`${svc.url}/venues`, {
      token: owner,
      body: venueBody({ address: { line1: 'x', city: 'y', state: 'ZZ', postalCode: '1' } }),
    });
    assert.equal(badAddress.status, 400);
    assert.deepEqual(
      badAddress.body.errors.map((e: { path: string }) => e.path),
      ['address.state', 'address.postalCode'],
    );
    assert.equal((await api(`${svc.url}/venues`, { body: venueBody() })).status, 401);
    assert.equal((await api(`${svc.url}/venues`, { token: reviewer, body: venueBody() })).status, 403);
    const otherSecret = await tokenFor('venue-owner-1', ['venue'], { secret: 'another-secret-another-secret-another' });
    assert.equal((await api(`${svc.url}/venues`, { token: otherSecret, body: venueBody() })).status, 401);
    const expired = await tokenFor('venue-owner-1', ['venue'], { expiresIn: '-1m' });
    assert.equal((await api(`${svc.url}/venues`, { token: expired, body: venueBody() })).status, 401);
    assert.equal(await venueCount(), before);
  });

  test('submission → documents required → in review → verified, audited; the owner sees it, another venue does not', async () => {
    const created = await api(`${svc.url}/venues`, { token: owner, body: venueBody() });
    assert.equal(created.status, 201, created.text);
    const id = created.body.venue.id;
    assert.equal(created.body.venue.state, 'documents_required');
    assert.equal(created.body.screening.status, 'clear');
    assert.match(created.body.screening.list.checksum, /^[0-9a-f]{64}$/);
    assert.equal((await api(`${svc.url}/venues/${id}`, { token: stranger })).status, 404);

    assert.equal((await upload(id, 'w9', PNG_BYTES, 'image/png')).status, 415, 'a W-9 must be a PDF');
    assert.equal((await upload(id, 'w9', Buffer.from('not a pdf at all'), 'application/pdf')).status, 415, 'content must match its type');
    assert.equal((await upload(id, 'w9', PDF_BYTES, 'application/pdf', stranger)).status, 404);
    const w9 = await upload(id, 'w9', PDF_BYTES, 'application/pdf');
    assert.equal(w9.status, 201);
    assert.equal(((await w9.json()) as { venue: { state: string } }).venue.state, 'documents_required');
    assert.equal((await api(`${svc.url}/venues/${id}/verify`, { token: reviewer, body: {} })).status, 409);
    const licence = await upload(id, 'business_license', PNG_BYTES, 'image/png');
    assert.equal(licence.status, 201);
    assert.equal(((await licence.json()) as { venue: { state: string } }).venue.state, 'in_review');

    assert.equal((await api(`${svc.url}/venues/${id}/verify`, { token: owner, body: {} })).status, 403, 'a venue cannot verify itself');
    const verified = await api(`${svc.url}/venues/${id}/verify`, { token: reviewer, body: {} });
    assert.equal(verified.status, 200, verified.text);
    assert.deepEqual(verified.body.transition, { from: 'in_review', to: 'verified', command: 'verify' });
    const again = await api(`${svc.url}/venues/${id}/verify`, { token: reviewer, body: {} });
    assert.equal(again.status, 409);
    assert.equal(again.body.error, 'invalid_transition');

    const seen = await api(`${svc.url}/venues/${id}`, { token: owner });
    assert.deepEqual(
      seen.body.events.map((e: { fromState: string; toState: string; command: string; actorRole: string; actorSubject: string }) => [
        e.fromState,
        e.toState,
        e.command,
        e.actorRole,
        e.actorSubject,
      ]),
      [
        [null, 'pending', 'submit', 'venue', 'venue-owner-1'],
        ['pending', 'documents_required', 'request_documents', 'system', 'compliance'],
        ['documents_required', 'in_review', 'submit_for_review', 'system', 'compliance'],
        ['in_review', 'verified', 'verify', 'reviewer', 'reviewer-1'],
      ],
    );
  });

  test('a possible sanctions match blocks verification until a reviewer clears it; a confirmed one rejects the venue', async () => {
    const submit = async (legalName: string) => {
      const created = await api(`${svc.url}/venues`, { token: owner, body: venueBody({ legalName }) });
      assert.equal(created.status, 201, created.text);
      const id = created.body.venue.id;
      assert.equal((await upload(id, 'w9', PDF_BYTES, 'application/pdf')).status, 201);
      assert.equal((await upload(id, 'business_license', PDF_BYTES, 'application/pdf')).status, 201);
      return created.body;
    };
    const flagged = await submit('Grand Palace Events LLC');
    assert.equal(flagged.screening.status, 'possible_match');
    const match = flagged.screening.matches[0];
    assert.equal(match.entNum, 1007);
    assert.ok(match.score >= 0.9 && match.score < 1, String(match.score));
    const blocked = await api(`${svc.url}/venues/${flagged.venue.id}/verify`, { token: reviewer, body: {} });
    assert.equal(blocked.status, 409);
    assert.equal(blocked.body.error, 'screening_open');
    assert.equal(
      (await api(`${svc.url}/screenings/${flagged.screening.id}/review`, { token: owner, body: { decision: 'cleared' } })).status,
      403,
    );
    const cleared = await api(`${svc.url}/screenings/${flagged.screening.id}/review`, {
      token: reviewer,
      body: { decision: 'cleared', note: 'different venue, other city' },
    });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.status, 'cleared');
    assert.equal((await api(`${svc.url}/venues/${flagged.venue.id}/verify`, { token: reviewer, body: {} })).status, 200);

    const confirmed = await submit('Northwind Trading LLC');
    const review = await api(`${svc.url}/screenings/${confirmed.screening.id}/review`, {
      token: reviewer,
      body: { decision: 'confirmed' },
    });
    assert.equal(review.status, 200);
    const venue = await api(`${svc.url}/venues/${confirmed.venue.id}`, { token: reviewer });
    assert.equal(venue.body.venue.state, 'rejected');
    assert.match(venue.body.events.at(-1).reason, /sanctions match confirmed by screening/);
  });

  test('an Idempotency-Key makes a retried submission return the same venue, not a second one', async () => {
    const before = await venueCount();
    const headers = { 'idempotency-key': '"venue-submit-1"' };
    const first = await api(`${svc.url}/venues`, { token: owner, body: venueBody({ legalName: 'Harbor Lights Hall' }), headers });
    const again = await api(`${svc.url}/venues`, { token: owner, body: venueBody({ legalName: 'Harbor Lights Hall' }), headers });
    assert.equal(first.status, 201);
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.body.venue.id, first.body.venue.id);
    assert.equal(await venueCount(), before + 1);
    const changed = await api(`${svc.url}/venues`, { token: owner, body: venueBody({ legalName: 'Another Hall' }), headers });
    assert.equal(changed.status, 422, 'the same key with another body');
  });

  test('admin: the list identity and an atomic refresh', async () => {
    const identity = await api(`${svc.url}/admin/sanctions`, { token: admin });
    assert.equal(identity.body.loaded, true);
    assert.equal(identity.body.entries, 7);
    assert.equal((await api(`${svc.url}/admin/sanctions`, { token: reviewer })).status, 403);
    const refreshed = await api(`${svc.url}/admin/sanctions/refresh`, { token: admin, body: {} });
    assert.equal(refreshed.status, 200);
    assert.equal(refreshed.body.checksum, identity.body.checksum);
  });
});
