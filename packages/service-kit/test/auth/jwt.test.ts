import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { importJWK, type JWK, SignJWT, UnsecuredJWT } from 'jose';
import {
  createJwtSigner,
  createJwtVerifier,
  createService,
  generateSigningKey,
  type JwtSigner,
  type JwtVerifier,
  registerJwksRoute,
  requireAuth,
  type Service,
  ServiceKitError,
} from '../../src/index.ts';
import { captureLines } from '../helpers/capture-lines.ts';

const ISSUER = 'https://auth.test';
const AUDIENCE = 'payments';

let signer: JwtSigner;
let activePrivate: JWK;
let authService: Service;
let jwksUrl: string;
let verifier: JwtVerifier;
/** What the auth service currently publishes (swapped by the rotation test). */
let published: JwtSigner;

before(async () => {
  activePrivate = await generateSigningKey('EdDSA');
  signer = await createJwtSigner({ issuer: ISSUER, keys: [activePrivate] });
  published = signer;
  authService = createService({
    name: 'auth',
    logDestination: captureLines(),
    defaultMetrics: false,
    shutdown: { handleSignals: false, delayMs: 0 },
  });
  registerJwksRoute(authService.app, { jwks: () => published.jwks() });
  const { url } = await authService.start();
  jwksUrl = `${url}/.well-known/jwks.json`;
  verifier = createJwtVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl, jwksCooldownMs: 0 });
});

after(() => authService.stop());

const reasonOf = async (token: string, using: JwtVerifier = verifier) => {
  const result = await using.verify(token);
  return result.ok ? 'ok' : result.reason;
};

describe('JWT signer and JWKS', () => {
  test('the JWKS document over HTTP holds public keys only, with kid, alg and use', async () => {
    const response = await fetch(jwksUrl, { signal: AbortSignal.timeout(5_000) });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/jwk-set\+json/);
    const jwks = (await response.json()) as { keys: Record<string, unknown>[] };
    assert.equal(jwks.keys.length, 1);
    const [key] = jwks.keys;
    assert.equal(key.kid, signer.activeKeyId);
    assert.equal(key.alg, 'EdDSA');
    assert.equal(key.use, 'sig');
    assert.equal(key.d, undefined, 'private key material must not be published');
  });

  test('generated keys for each algorithm sign tokens a verifier accepts', async () => {
    for (const alg of ['EdDSA', 'ES256', 'RS256'] as const) {
      const key = await generateSigningKey(alg);
      const local = await createJwtSigner({ issuer: ISSUER, keys: [key] });
      const localVerifier = createJwtVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: local.jwks() });
      assert.equal(await reasonOf(await local.sign({ subject: 'u', audience: AUDIENCE }), localVerifier), 'ok', alg);
    }
  });
});

describe('JWT verification (keys fetched from the JWKS URL)', () => {
  test('a valid token gives a typed principal', async () => {
    const token = await signer.sign({
      subject: 'merchant-7',
      audience: [AUDIENCE, 'ledger'],
      scopes: ['payments:write', 'payments:read'],
      tokenId: 'j1',
    });
    const result = await verifier.verify(token);
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.principal.subject, 'merchant-7');
    assert.equal(result.principal.issuer, ISSUER);
    assert.deepEqual(result.principal.audience, [AUDIENCE, 'ledger']);
    assert.deepEqual(result.principal.scopes, ['payments:write', 'payments:read']);
    assert.equal(result.principal.tokenId, 'j1');
    assert.equal(result.principal.keyId, signer.activeKeyId);
    assert.ok(result.principal.expiresAt.getTime() > Date.now());
  });

  test('wrong issuer, wrong audience, expired', async () => {
    const otherIssuer = await createJwtSigner({ issuer: 'https://evil.test', keys: [activePrivate] });
    assert.equal(await reasonOf(await otherIssuer.sign({ subject: 'u', audience: AUDIENCE })), 'claim_invalid');
    assert.equal(await reasonOf(await signer.sign({ subject: 'u', audience: 'someone-else' })), 'claim_invalid');
    assert.equal(await reasonOf(await signer.sign({ subject: 'u', audience: AUDIENCE, ttlSec: -60 })), 'expired');
    assert.equal(
      await reasonOf(await signer.sign({ subject: 'u', audience: AUDIENCE, ttlSec: -2 })),
      'ok',
      'within the 5 s clock tolerance',
    );
  });

  test('disallowed algorithms: HS256, none, and an asymmetric alg outside the allowlist', async () => {
    const now = Math.floor(Date.now() / 1000);
    const hs = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: signer.activeKeyId, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('u')
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode('a-shared-secret-of-32-bytes-long!'));
    assert.equal(await reasonOf(hs), 'algorithm_not_allowed');
    const none = new UnsecuredJWT({ sub: 'u' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(now + 60)
      .encode();
    assert.notEqual(await reasonOf(none), 'ok');
    const es256 = await createJwtSigner({ issuer: ISSUER, keys: [await generateSigningKey('ES256')] });
    const edOnly = createJwtVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: es256.jwks(), algorithms: ['EdDSA'] });
    assert.equal(await reasonOf(await es256.sign({ subject: 'u', audience: AUDIENCE }), edOnly), 'algorithm_not_allowed');
  });

  test('a verifier refuses to be configured with none or HS* algorithms', () => {
    assert.throws(() => createJwtVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl, algorithms: ['none'] }), ServiceKitError);
    assert.throws(() => createJwtVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl, algorithms: ['HS256'] }), ServiceKitError);
    assert.throws(() => createJwtVerifier({ issuer: ISSUER, audience: AUDIENCE }), ServiceKitError);
  });

  test('unknown kid, tampered signature, malformed token, wrong typ', async () => {
    const stranger = await createJwtSigner({ issuer: ISSUER, keys: [await generateSigningKey()] });
    assert.equal(await reasonOf(await stranger.sign({ subject: 'u', audience: AUDIENCE })), 'unknown_key');
    const token = await signer.sign({ subject: 'u', audience: AUDIENCE });
    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'admin' })).toString(
      'base64url',
    );
    assert.equal(await reasonOf(`${header}.${forged}.${signature}`), 'bad_signature');
    assert.equal(await reasonOf('not-a-jwt'), 'malformed');
    const untyped = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.activeKeyId })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('u')
      .setExpirationTime('1m')
      .sign(await importJWK(activePrivate, 'EdDSA'));
    assert.equal(await reasonOf(untyped), 'claim_invalid');
  });

  test('key rotation: a token from a newly published key verifies after a JWKS refetch', async () => {
    const next = await createJwtSigner({ issuer: ISSUER, keys: [await generateSigningKey('ES256'), activePrivate] });
    published = next;
    try {
      assert.equal(await reasonOf(await next.sign({ subject: 'u', audience: AUDIENCE })), 'ok');
      assert.equal(await reasonOf(await signer.sign({ subject: 'u', audience: AUDIENCE })), 'ok', 'the old key still verifies');
    } finally {
      published = signer;
    }
  });
});

describe('requireAuth on a Fastify route', () => {
  let api: Service;
  let base: string;
  before(async () => {
    api = createService({
      name: 'payments',
      logDestination: captureLines(),
      defaultMetrics: false,
      shutdown: { handleSignals: false, delayMs: 0 },
    });
    api.app.get('/me', { onRequest: requireAuth(verifier) }, async (request) => ({ subject: request.principal?.subject }));
    api.app.post('/payments', { onRequest: requireAuth(verifier, { scopes: ['payments:write'] }) }, async () => ({ ok: true }));
    const unreachable = createJwtVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: 'http://127.0.0.1:9/jwks.json',
      jwksTimeoutMs: 1_000,
    });
    api.app.get('/down', { onRequest: requireAuth(unreachable) }, async () => ({ ok: true }));
    ({ url: base } = await api.start());
  });
  after(() => api.stop());

  const call = (path: string, token?: string, method = 'GET') =>
    fetch(base + path, { method, headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(5_000) });

  test('401 without a token, with an RFC 6750 challenge', async () => {
    const response = await call('/me');
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="api"');
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  });

  test('200 with a valid token; request.principal is set', async () => {
    const response = await call('/me', await signer.sign({ subject: 'merchant-9', audience: AUDIENCE }));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { subject: 'merchant-9' });
  });

  test('401 invalid_token for a bad token, 403 insufficient_scope without the scope', async () => {
    const expired = await call('/me', await signer.sign({ subject: 'u', audience: AUDIENCE, ttlSec: -60 }));
    assert.equal(expired.status, 401);
    assert.match(expired.headers.get('www-authenticate') ?? '', /error="invalid_token", error_description="expired"/);
    const readOnly = await call('/payments', await signer.sign({ subject: 'u', audience: AUDIENCE, scopes: ['payments:read'] }), 'POST');
    assert.equal(readOnly.status, 403);
    assert.match(readOnly.headers.get('www-authenticate') ?? '', /error="insufficient_scope", scope="payments:write"/);
    const writer = await call('/payments', await signer.sign({ subject: 'u', audience: AUDIENCE, scopes: ['payments:write'] }), 'POST');
    assert.equal(writer.status, 200);
  });

  test('503 when the key set cannot be fetched', async () => {
    const response = await call('/down', await signer.sign({ subject: 'u', audience: AUDIENCE }));
    assert.equal(response.status, 503);
  });
});
