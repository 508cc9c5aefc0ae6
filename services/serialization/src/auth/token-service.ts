import { DEFAULT_CLOCK_TOLERANCE_SEC, type JwtVerifier, principalFromClaims } from '@cutover/service-kit';
import { errors, jwtVerify, SignJWT } from 'jose';

/** The service's token issuer and audience (the guide's JWT_SECRET signs HS256 tokens). */
export const TOKEN_ISSUER = 'serialization';
export const TOKEN_AUDIENCE = 'serialization-api';
export const READ_SCOPE = 'serialization:read';
export const WRITE_SCOPE = 'serialization:write';
export const ADMIN_SCOPE = 'serialization:admin';

export interface TokenService {
  sign(subject: string, scopes: readonly string[], ttlSec?: number): Promise<string>;
  verifier: JwtVerifier;
  ttlSec: number;
}

/**
 * HS256 access tokens with JWT_SECRET: every instance signs and verifies with the same secret,
 * so a token from one instance works on the others. The verifier answers like the kit's (iss,
 * aud, exp, typ at+jwt checked; only HS256 accepted: a token with alg none or RS256 is refused).
 */
export function createTokenService(secret: string, ttlSec: number): TokenService {
  const key = new TextEncoder().encode(secret);
  const verifier: JwtVerifier = {
    async verify(token) {
      try {
        const { payload, protectedHeader } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          typ: 'at+jwt',
          clockTolerance: DEFAULT_CLOCK_TOLERANCE_SEC,
          requiredClaims: ['exp', 'sub'],
        });
        return { ok: true, principal: principalFromClaims(payload, protectedHeader.kid) };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired', message };
        if (error instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'bad_signature', message };
        if (error instanceof errors.JOSEAlgNotAllowed) return { ok: false, reason: 'algorithm_not_allowed', message };
        if (error instanceof errors.JWTClaimValidationFailed) return { ok: false, reason: 'claim_invalid', message };
        return { ok: false, reason: 'malformed', message };
      }
    },
  };
  return {
    ttlSec,
    verifier,
    sign: (subject, scopes, ttl = ttlSec) =>
      new SignJWT({ scope: scopes.join(' ') })
        .setProtectedHeader({ alg: 'HS256', kid: 'jwt-secret', typ: 'at+jwt' })
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
        .setJti(crypto.randomUUID())
        .sign(key),
  };
}

/** Scopes of an account's roles. */
export function scopesForRoles(roles: readonly string[]): string[] {
  if (roles.includes('admin')) return [READ_SCOPE, WRITE_SCOPE, ADMIN_SCOPE];
  if (roles.includes('operator')) return [READ_SCOPE, WRITE_SCOPE];
  return [READ_SCOPE];
}
