import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { ServiceKitError } from '../service-kit-error.ts';
import { type Principal, principalFromClaims } from './principal.ts';

/** Asymmetric algorithms accepted unless told otherwise (RFC 8725: an explicit allowlist). */
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = ['ES256', 'EdDSA', 'RS256'];
/** Clock skew allowed on exp/nbf/iat. */
export const DEFAULT_CLOCK_TOLERANCE_SEC = 5;
/** Access-token type (RFC 9068), set by `createJwtSigner` and required by the verifier. */
export const ACCESS_TOKEN_TYP = 'at+jwt';
/** How long a fetched JWKS is trusted before refetching. */
export const DEFAULT_JWKS_CACHE_MAX_AGE_MS = 10 * 60 * 1000;
/** Minimum time between two JWKS fetches triggered by an unknown `kid`. */
export const DEFAULT_JWKS_COOLDOWN_MS = 30_000;
/** Time limit of one JWKS fetch. */
export const DEFAULT_JWKS_TIMEOUT_MS = 5_000;

export interface JwtVerifierOptions {
  /** Accepted `iss` (required claim). */
  issuer: string | string[];
  /** Accepted `aud`, i.e. this service (required claim). */
  audience: string | string[];
  /** Fetch keys from here (cached); or give `jwks`. */
  jwksUrl?: string | URL;
  /** A local key set (public JWKs). */
  jwks?: JSONWebKeySet;
  /** Allowed `alg` values; default `DEFAULT_JWT_ALGORITHMS`. `none` is always refused. */
  algorithms?: readonly string[];
  /** HS* algorithms are refused unless this is true (a shared secret lets verifiers mint tokens); default false. */
  allowSymmetricAlgorithms?: boolean;
  /** Default `DEFAULT_CLOCK_TOLERANCE_SEC` (5). */
  clockToleranceSec?: number;
  /** Required `typ` header; default `ACCESS_TOKEN_TYP`; null accepts any. */
  typ?: string | null;
  /** Reject tokens whose `iat` is older than this; default: no limit beyond `exp`. */
  maxTokenAgeSec?: number;
  /** Default `DEFAULT_JWKS_CACHE_MAX_AGE_MS` (10 min). */
  jwksCacheMaxAgeMs?: number;
  /** Default `DEFAULT_JWKS_COOLDOWN_MS` (30 s). */
  jwksCooldownMs?: number;
  /** Default `DEFAULT_JWKS_TIMEOUT_MS` (5 s). */
  jwksTimeoutMs?: number;
}

export type JwtFailureReason =
  | 'malformed'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_signature'
  | 'unknown_key'
  | 'algorithm_not_allowed'
  | 'claim_invalid'
  | 'jwks_unavailable';

export type JwtVerifyResult = { ok: true; principal: Principal } | { ok: false; reason: JwtFailureReason; message: string };

export interface JwtVerifier {
  /** Verify a compact JWT. A bad token is a value (`ok: false`) with a reason, never an exception. */
  verify(token: string): Promise<JwtVerifyResult>;
}

const JOSE_REASONS: Record<string, JwtFailureReason> = {
  ERR_JWT_EXPIRED: 'expired',
  ERR_JOSE_ALG_NOT_ALLOWED: 'algorithm_not_allowed',
  ERR_JOSE_NOT_SUPPORTED: 'algorithm_not_allowed',
  ERR_JWKS_NO_MATCHING_KEY: 'unknown_key',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'unknown_key',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'bad_signature',
  ERR_JWS_INVALID: 'malformed',
  ERR_JWT_INVALID: 'malformed',
  ERR_JWKS_TIMEOUT: 'jwks_unavailable',
  ERR_JWKS_INVALID: 'jwks_unavailable',
};

function invalidOptions(message: string): ServiceKitError {
  return new ServiceKitError('SVC_ERR_OPTIONS_INVALID', message, {
    where: 'createJwtVerifier',
    hint: 'Verify with asymmetric keys: pass jwksUrl or jwks and an allowlist such as ["EdDSA", "ES256", "RS256"].',
  });
}

export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const algorithms = [...(options.algorithms ?? DEFAULT_JWT_ALGORITHMS)];
  if (algorithms.length === 0) throw invalidOptions('the algorithm allowlist is empty');
  if (algorithms.some((alg) => alg.toLowerCase() === 'none')) throw invalidOptions('alg "none" can never be allowed');
  if (!options.allowSymmetricAlgorithms && algorithms.some((alg) => alg.startsWith('HS'))) {
    throw invalidOptions(
      `symmetric algorithms (${algorithms.filter((alg) => alg.startsWith('HS')).join(', ')}) need allowSymmetricAlgorithms: true`,
    );
  }
  let keys: JWTVerifyGetKey;
  if (options.jwksUrl !== undefined) {
    keys = createRemoteJWKSet(new URL(options.jwksUrl), {
      cacheMaxAge: options.jwksCacheMaxAgeMs ?? DEFAULT_JWKS_CACHE_MAX_AGE_MS,
      cooldownDuration: options.jwksCooldownMs ?? DEFAULT_JWKS_COOLDOWN_MS,
      timeoutDuration: options.jwksTimeoutMs ?? DEFAULT_JWKS_TIMEOUT_MS,
    });
  } else if (options.jwks !== undefined) {
    keys = createLocalJWKSet(options.jwks);
  } else {
    throw invalidOptions('give jwksUrl or jwks');
  }
  const typ = options.typ === undefined ? ACCESS_TOKEN_TYP : options.typ;
  return {
    async verify(token) {
      try {
        const { payload, protectedHeader } = await jwtVerify(token, keys, {
          algorithms,
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: options.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC,
          requiredClaims: ['exp', 'sub'],
          ...(typ === null ? {} : { typ }),
          ...(options.maxTokenAgeSec === undefined ? {} : { maxTokenAge: options.maxTokenAgeSec }),
        });
        return { ok: true, principal: principalFromClaims(payload, protectedHeader.kid) };
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const message = error instanceof Error ? error.message : String(error);
        if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
          const claim = (error as { claim?: string }).claim;
          return { ok: false, reason: claim === 'nbf' ? 'not_yet_valid' : 'claim_invalid', message };
        }
        if (typeof code === 'string' && code in JOSE_REASONS) return { ok: false, reason: JOSE_REASONS[code], message };
        if (typeof code === 'string' && code.startsWith('ERR_')) return { ok: false, reason: 'malformed', message };
        // No jose code: the JWKS fetch itself failed (connection refused, DNS, bad JSON).
        return { ok: false, reason: 'jwks_unavailable', message };
      }
    },
  };
}
