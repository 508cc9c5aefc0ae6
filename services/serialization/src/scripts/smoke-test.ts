// The guide's smoke tests (`npm run test:smoke`, and cutover's postSwitch hook): the health
// documents, then one walk through the API under part SMOKE-TEST: receive a vendor serial, inspect
// and accept it, generate serials, resolve a placeholder exactly once, link the genealogy, read the
// trigger statistics and the audit trail. Exit 0 when every step answered as expected.
//   node --env-file=.env.production src/scripts/smoke-test.ts [--base-url http://127.0.0.1:8110]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadEnvConfigOrExit } from '@cutover/service-kit';
import { createTokenService, READ_SCOPE, WRITE_SCOPE } from '../auth/token-service.ts';
import { serializationEnvSchema } from '../config/serialization-config.ts';

const { values } = parseArgs({ options: { 'base-url': { type: 'string' } } });
const config = loadEnvConfigOrExit('serialization smoke test', serializationEnvSchema);
const base = (values['base-url'] ?? process.env.CUTOVER_PROXY_URL ?? `http://127.0.0.1:${config.APP_PORT}`).replace(/\/$/, '');
const token = await createTokenService(config.JWT_SECRET, 600).sign('smoke-test', [READ_SCOPE, WRITE_SCOPE], 600);
const PART = 'SMOKE-TEST';
const api = `${base}/api/v1/serialization`;
let step = 0;

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field below
async function call(method: string, url: string, body?: unknown, expect: number[] = [200, 201]): Promise<any> {
  step++;
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!expect.includes(response.status))
    throw new Error(`step ${step}: ${method} ${url} answered ${response.status} (expected ${expect.join(' or ')}): ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

function check(condition: unknown, what: string): void {
  if (!condition) throw new Error(`step ${step}: ${what}`);
}

try {
  const health = await call('GET', `${base}/health`);
  check(health.status === 'ok' && health.database === 'connected' && health.redis === 'connected', `/health is ${JSON.stringify(health)}`);
  const db = await call('GET', `${base}/api/v1/health/db`);
  check(db.status === 'connected' && db.poolConnections.total >= 0, `/api/v1/health/db is ${JSON.stringify(db)}`);

  const vendorSerialNumber = `SMK${randomBytes(6).toString('hex').toUpperCase()}`;
  const receipt = {
    vendorSerialNumber,
    vendorName: 'Smoke Test Vendor',
    partId: PART,
    receivedDate: new Date().toISOString().slice(0, 10),
  };
  const vendor = await call('POST', `${api}/vendor/receive`, receipt, [201]);
  check(vendor.status === 'received', 'a received vendor serial');
  const duplicate = await call('POST', `${api}/vendor/receive`, receipt, [409]);
  check(duplicate.code === 'serial_duplicate_in_scope' && duplicate.uniquenessCheckId, 'the duplicate is refused and recorded');
  await call('POST', `${api}/vendor/${vendor.id}/inspect`, {});
  const accepted = await call('POST', `${api}/vendor/${vendor.id}/accept`, {});
  check(accepted.status === 'accepted', 'the vendor serial is accepted');

  const generated = await call('POST', `${api}/patterns/unit-monthly/generate`, { partId: 'SMOKE', count: 2 }, [201]);
  check(
    generated.serials.length === 2 && generated.serials[1].sequenceValue === generated.serials[0].sequenceValue + 1,
    'two consecutive serials',
  );

  const placeholder = await call('POST', `${api}/placeholders`, { partId: 'SMOKE', operationCode: 'OP-10' }, [201]);
  check(placeholder.placeholderCode.startsWith('TMP-'), 'a TMP- placeholder');
  await call('POST', `${api}/genealogy/links`, { parentSerialId: placeholder.id, childSerialId: vendor.id }, [201]);
  const resolved = await call('POST', `${api}/placeholders/${placeholder.id}/resolve`, { patternId: 'unit-monthly' });
  check(resolved.status === 'resolved' && resolved.resolvedSerialNumber, 'the placeholder is resolved');
  const again = await call('POST', `${api}/placeholders/${placeholder.id}/resolve`, { patternId: 'unit-monthly' }, [409]);
  check(again.code === 'placeholder_already_resolved', 'a second resolution is refused');
  const madeOf = await call('GET', `${api}/genealogy/${resolved.resolvedSerialId}/made-of`);
  check(
    madeOf.nodes.some((n: { serialId: string }) => n.serialId === vendor.id),
    'the genealogy moved to the final serial',
  );
  const consumed = await call('GET', `${api}/vendor/${vendor.id}`);
  check(consumed.status === 'consumed', 'the assembly consumed the vendor serial');

  const stats = await call('GET', `${api}/triggers/statistics/${PART}`);
  check(stats.partId === PART && Array.isArray(stats.triggers), 'trigger statistics');
  const audit = await call('GET', `${api}/audit/events?partId=${PART}&limit=5`);
  check(
    audit.events.some((e: { serialNumber: string }) => e.serialNumber === vendorSerialNumber),
    'the audit trail shows the receipt',
  );
  console.log(`smoke test passed: ${step} requests against ${base}`);
} catch (error) {
  console.error(`smoke test FAILED against ${base}: ${(error as Error).message}`);
  process.exit(1);
}
