import type { JWTPayload } from 'jose';

/** Who made a request, from a verified access token. */
export interface Principal {
  /** `sub`: the user or client id. */
  subject: string;
  /** `iss`: who issued the token. */
  issuer: string;
  /** `aud`, always as a list. */
  audience: string[];
  /** From `scope` (space-separated, RFC 9068) or `scp` (list). */
  scopes: string[];
  expiresAt: Date;
  issuedAt?: Date;
  /** `jti`, for deny-lists. */
  tokenId?: string;
  /** `kid` of the key that signed the token. */
  keyId?: string;
  /** Every claim, verified. */
  claims: JWTPayload;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireAuth`; null on routes that do not require it. */
    principal: Principal | null;
  }
}

export function principalFromClaims(claims: JWTPayload, keyId: string | undefined): Principal {
  const scope = claims.scope;
  const scp = claims.scp;
  const scopes = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : Array.isArray(scp) ? scp.map(String) : [];
  const principal: Principal = {
    subject: String(claims.sub),
    issuer: String(claims.iss),
    audience: Array.isArray(claims.aud) ? claims.aud : claims.aud === undefined ? [] : [claims.aud],
    scopes,
    expiresAt: new Date(Number(claims.exp) * 1000),
    claims,
  };
  if (typeof claims.iat === 'number') principal.issuedAt = new Date(claims.iat * 1000);
  if (typeof claims.jti === 'string') principal.tokenId = claims.jti;
  if (keyId !== undefined) principal.keyId = keyId;
  return principal;
}
