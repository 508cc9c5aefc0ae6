import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, SignJWT } from 'jose';
import { ServiceKitError } from '../service-kit-error.ts';
import { ACCESS_TOKEN_TYP } from './jwt-verifier.ts';

/** Lifetime of an access token when `sign` is not given one (short-lived, RFC 8725 advice). */
export const DEFAULT_ACCESS_TOKEN_TTL_SEC = 15 * 60;
/** Where `registerJwksRoute` serves the key set. */
export const JWKS_PATH = '/.well-known/jwks.json';

export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'RS256';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The public half of a JWK (private members removed). */
export function publicJwk(jwk: JWK): JWK {
  const out: JWK = {};
  for (const [name, value] of Object.entries(jwk)) if (!PRIVATE_MEMBERS.includes(name)) (out as Record<string, unknown>)[name] = value;
  out.use = 'sig';
  return out;
}

/**
 * A new private signing key as a JWK with `kid` (its RFC 7638 thumbprint) and `alg`. Store it
 * (secret env var or database) and give the same keys to every instance of the auth service,
 * so that whichever instance serves the JWKS publishes the key that signed a token.
 */
export async function generateSigningKey(alg: SigningAlgorithm = 'EdDSA'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(publicJwk(jwk)), alg };
}

export interface JwtSignerOptions {
  /** `iss` of every token. */
  issuer: string;
  /** Private JWKs with `kid` and `alg`; the first signs, all are published (rotation: prepend a new key, drop the old one after the TTL). */
  keys: readonly JWK[];
  /** Default `DEFAULT_ACCESS_TOKEN_TTL_SEC` (900). */
  defaultTtlSec?: number;
}

export interface SignClaims {
  subject: string;
  audience: string | string[];
  scopes?: readonly string[];
  /** Default: the signer's `defaultTtlSec`. */
  ttlSec?: number;
  /** `jti`; default a random UUID. */
  tokenId?: string;
  /** More claims (never `iss`, `sub`, `aud`, `exp`, `iat`, which the signer sets). */
  extra?: Record<string, unknown>;
}

export interface JwtSigner {
  readonly issuer: string;
  readonly activeKeyId: string;
  sign(claims: SignClaims): Promise<string>;
  /** The public JWKS document to serve. */
  jwks(): JSONWebKeySet;
}

export async function createJwtSigner(options: JwtSignerOptions): Promise<JwtSigner> {
  if (options.keys.length === 0) {
    throw new ServiceKitError('SVC_ERR_OPTIONS_INVALID', 'createJwtSigner needs at least one private key', {
      where: 'createJwtSigner',
      hint: 'Create one with generateSigningKey() and keep it in the service secrets.',
    });
  }
  for (const key of options.keys) {
    if (typeof key.kid !== 'string' || typeof key.alg !== 'string' || key.d === undefined) {
      throw new ServiceKitError('SVC_ERR_OPTIONS_INVALID', 'every signing key must be a private JWK with kid and alg', {
        where: 'createJwtSigner',
        hint: 'Use the JWK returned by generateSigningKey() unchanged.',
      });
    }
  }
  const active = options.keys[0];
  const activeKid = active.kid as string;
  const activeAlg = active.alg as string;
  const privateKey = await importJWK(active, activeAlg);
  const published: JSONWebKeySet = { keys: options.keys.map(publicJwk) };
  const defaultTtlSec = options.defaultTtlSec ?? DEFAULT_ACCESS_TOKEN_TTL_SEC;
  return {
    issuer: options.issuer,
    activeKeyId: activeKid,
    async sign(claims) {
      const payload: Record<string, unknown> = { ...claims.extra };
      if (claims.scopes !== undefined) payload.scope = claims.scopes.join(' ');
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(payload)
        .setProtectedHeader({ alg: activeAlg, kid: activeKid, typ: ACCESS_TOKEN_TYP })
        .setIssuer(options.issuer)
        .setSubject(claims.subject)
        .setAudience(claims.audience)
        .setIssuedAt(now)
        .setExpirationTime(now + (claims.ttlSec ?? defaultTtlSec))
        .setJti(claims.tokenId ?? randomUUID())
        .sign(privateKey);
    },
    jwks: () => structuredClone(published),
  };
}
