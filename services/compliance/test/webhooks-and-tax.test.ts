// Webhooks out (Standard Webhooks, per-endpoint secrets, delivery log, 410 disables) and in
// (Stripe's scheme, 300 s tolerance, deduplicated), feeding the 1099-K tracking; privacy requests.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '@cutover/service-kit/testing';
import { standardWebhookHeaders, verifyStandardWebhook } from '../src/webhooks/standard-webhooks.ts';
import { stripeSignatureHeader } from '../src/webhooks/stripe-signature.ts';
import { complianceEnv, TEST_STRIPE_SECRET, TEST_WEBHOOK_SECRET, tokenFor } from './support/compliance-env.ts';
import { api, venueBody } from './support/http-json.ts';
import { type RunningCompliance, startCompliance } from './support/in-process.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

describe('webhooks, tax tracking and privacy requests', () => {
  let db: TestDatabase;
  let svc: RunningCompliance;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  let answer = 200;
  let admin: string;
  let owner: string;
  let venueId: string;

  before(async () => {
    db = await createMigratedDatabase('webhooks');
    // 3 sales over $20 each cross this threshold: more than $50 and more than 2 transactions.
    svc = await startCompliance(complianceEnv(db.url, { TAX_1099K_MIN_GROSS_CENTS: '5000', TAX_1099K_MIN_TRANSACTIONS: '2' }));
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
    admin = await tokenFor('admin-1', ['admin']);
    owner = await tokenFor('owner-1', ['venue']);
    venueId = (await api(`${svc.url}/venues`, { token: owner, body: venueBody({ contactEmail: 'Pat@Venue.example' }) })).body.venue.id;
  });
  after(async () => {
    await svc?.stop();
    receiver?.close();
    await db?.drop();
  });

  const stripe = (event: unknown, options: { secret?: string; at?: number } = {}) => {
    const raw = JSON.stringify(event);
    const at = options.at ?? Math.floor(Date.now() / 1000);
    return fetch(`${svc.url}/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': stripeSignatureHeader(options.secret ?? TEST_STRIPE_SECRET, at, raw),
      },
      body: raw,
    });
  };
  const charge = (id: string, amount: number) => ({
    id: `evt_${id}`,
    type: 'charge.succeeded',
    data: { object: { id: `ch_${id}`, amount, metadata: { venue_id: venueId } } },
  });

  test('an endpoint gets the threshold event signed with its own secret; the delivery log records it', async () => {
    const endpoint = await api(`${svc.url}/webhook-endpoints`, {
      token: admin,
      body: { url: receiverUrl, eventTypes: ['tax.threshold_reached'] },
    });
    assert.equal(endpoint.status, 201, endpoint.text);
    assert.match(endpoint.body.secret, /^whsec_/);
    const stored = (await db.pool.query('SELECT secret FROM webhook_endpoints')).rows[0].secret;
    assert.equal(stored.includes(endpoint.body.secret.slice(6, 20)), false, 'the secret is stored sealed');

    for (const [i, amount] of [2500, 2500, 2500].entries()) assert.equal((await stripe(charge(`t${i}`, amount))).status, 200);
    const report = await api(`${svc.url}/venues/${venueId}/tax/${new Date().getUTCFullYear()}`, { token: owner });
    assert.equal(report.body.grossCents, 7500);
    assert.equal(report.body.transactions, 3);
    assert.equal(report.body.needs1099K, true);

    await waitFor('the webhook delivery', () => (received.length > 0 ? true : undefined), 15_000);
    const [delivery] = received;
    const verified = verifyStandardWebhook(
      endpoint.body.secret,
      {
        id: String(delivery.headers['webhook-id']),
        timestamp: String(delivery.headers['webhook-timestamp']),
        signature: String(delivery.headers['webhook-signature']),
      },
      delivery.body,
      Math.floor(Date.now() / 1000),
    );
    assert.deepEqual(verified, { ok: true });
    const payload = JSON.parse(delivery.body);
    assert.equal(payload.type, 'tax.threshold_reached');
    assert.deepEqual(payload.data, { venueId, year: new Date().getUTCFullYear() });
    const log = await waitFor('a delivered row', async () => {
      const rows = (await api(`${svc.url}/webhook-endpoints/${endpoint.body.id}/deliveries`, { token: admin })).body.deliveries;
      return rows[0]?.status === 'delivered' ? rows : undefined;
    });
    assert.equal(log.length, 1, 'the threshold is reported once a year');
    assert.equal(log[0].log[0].outcome, 'delivered');
  });

  test('inbound Stripe events: a replay changes nothing; bad or stale signatures are refused', async () => {
    assert.deepEqual(await (await stripe(charge('t0', 2500))).json(), { received: true, duplicate: true });
    const forged = await stripe(charge('forged', 999_999), { secret: 'whsec_someone_else_entirely_123456' });
    assert.equal(forged.status, 401);
    assert.equal(forged.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal((await stripe(charge('old', 999_999), { at: Math.floor(Date.now() / 1000) - 301 })).status, 400);
    const unsigned = await fetch(`${svc.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(unsigned.status, 401);
    const report = await api(`${svc.url}/venues/${venueId}/tax/${new Date().getUTCFullYear()}`, { token: owner });
    assert.equal(report.body.grossCents, 7500, 'nothing counted twice, nothing forged counted');
  });

  test('platform events signed with WEBHOOK_SECRET (Standard Webhooks) record transactions once; unsigned ones are refused', async () => {
    const send = (id: string, data: Record<string, unknown>, secret = TEST_WEBHOOK_SECRET) => {
      const body = JSON.stringify({ type: 'transaction.recorded', timestamp: new Date().toISOString(), data });
      return fetch(`${svc.url}/webhooks/platform`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...standardWebhookHeaders(secret, id, Math.floor(Date.now() / 1000), body) },
        body,
      });
    };
    const refund = { venueId, transactionId: 'rf-1', kind: 'refund', amountCents: 500, occurredAt: new Date().toISOString() };
    const first = await send('msg_refund_1', refund);
    assert.equal(first.status, 200);
    assert.equal(((await first.json()) as { recorded: boolean }).recorded, true);
    assert.deepEqual(await (await send('msg_refund_1', refund)).json(), { received: true, duplicate: true });
    assert.equal((await send('msg_forged', { ...refund, transactionId: 'rf-2' }, 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status, 401);
    const report = await api(`${svc.url}/venues/${venueId}/tax/${new Date().getUTCFullYear()}`, { token: owner });
    assert.equal(report.body.refundsCents, 500);
  });

  test('the year-end report as CSV, monthly gross in dollars', async () => {
    const year = new Date().getUTCFullYear();
    const csv = await fetch(`${svc.url}/venues/${venueId}/tax/${year}?format=csv`, { headers: { authorization: `Bearer ${owner}` } });
    assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
    const [header, row] = (await csv.text()).trim().split('\r\n');
    assert.match(header, /^venue_id,legal_name,ein,year,gross_amount,transactions,refunds,chargebacks,gross_jan,.*,gross_dec,needs_1099k$/);
    const cells = row.split(',');
    assert.deepEqual(cells.slice(3, 7), [String(year), '75.00', '3', '5.00']);
    assert.equal(cells.at(-1), 'true');
    assert.equal((await api(`${svc.url}/venues/${venueId}/tax/20x6`, { token: owner })).status, 400);
  });

  test('an endpoint answering 410 is disabled', async () => {
    answer = 410;
    const endpoint = await api(`${svc.url}/webhook-endpoints`, {
      token: admin,
      body: { url: receiverUrl, eventTypes: ['venue.rejected'] },
    });
    const reviewer = await tokenFor('reviewer-1', ['reviewer']);
    assert.equal((await api(`${svc.url}/venues/${venueId}/reject`, { token: reviewer, body: { reason: 'licence expired' } })).status, 200);
    const disabled = await waitFor('the endpoint disabled', async () => {
      const list = (await api(`${svc.url}/webhook-endpoints`, { token: admin })).body.endpoints;
      const row = list.find((e: { id: string }) => e.id === endpoint.body.id);
      return row?.enabled === false ? row : undefined;
    });
    assert.equal(disabled.disabled_reason, 'the endpoint answered 410 Gone');
    assert.equal(
      (await api(`${svc.url}/webhook-endpoints`, { token: admin, body: { url: 'ftp://example.com/x', eventTypes: ['*'] } })).status,
      422,
    );
  });

  test('privacy: an export with its deadline, a deletion that keeps what tax law requires and says so', async () => {
    const exportRequest = await api(`${svc.url}/privacy-requests`, {
      token: admin,
      body: { kind: 'export', email: 'pat@venue.example', jurisdiction: 'ccpa' },
    });
    assert.equal(exportRequest.status, 201);
    const days = (Date.parse(exportRequest.body.due_at) - Date.parse(exportRequest.body.received_at)) / 86_400_000;
    assert.equal(days, 45);
    const exported = await api(`${svc.url}/privacy-requests/${exportRequest.body.id}/complete`, { token: admin, body: {} });
    assert.equal(exported.body.venues[0].contact_email, 'Pat@Venue.example');
    const deletion = await api(`${svc.url}/privacy-requests`, {
      token: admin,
      body: { kind: 'deletion', email: 'pat@venue.example', jurisdiction: 'gdpr' },
    });
    const deleted = await api(`${svc.url}/privacy-requests/${deletion.body.id}/complete`, { token: admin, body: {} });
    assert.deepEqual(deleted.body.erased, { venues: [venueId], fields: ['contact_name', 'contact_email'] });
    assert.match(deleted.body.retained.join(' '), /1099-K/);
    const venue = (await db.pool.query('SELECT contact_email, ein FROM venues WHERE id = $1', [venueId])).rows[0];
    assert.deepEqual(venue, { contact_email: null, ein: '12-3456789' });
    assert.equal((await api(`${svc.url}/privacy-requests/${deletion.body.id}/complete`, { token: admin, body: {} })).status, 409);
  });
});
