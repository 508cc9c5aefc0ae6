import { type JwtVerifier, principalFromClaims } from '@cutover/service-kit';
import { errors, jwtVerify } from 'jose';

/** Clock skew allowed on exp/nbf. */
export const JWT_CLOCK_TOLERANCE_SEC = 5;

/**
 * Verifies the platform's access tokens, signed HS256 with the shared JWT_SECRET of the guide.
 * Only HS256 is accepted (never `none`, never an algorithm the token picks); `iss`, `aud`, `exp`
 * and `sub` are required. A bad token is a value with a reason, as with the kit's verifier.
 */
export function createHs256Verifier(options: { secret: string; issuer: string; audience: string }): JwtVerifier {
  const key = new TextEncoder().encode(options.secret);
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: JWT_CLOCK_TOLERANCE_SEC,
          requiredClaims: ['exp', 'sub'],
        });
        return { ok: true, principal: principalFromClaims(payload, undefined) };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired', message };
        if (error instanceof errors.JWTClaimValidationFailed)
          return { ok: false, reason: error.claim === 'nbf' ? 'not_yet_valid' : 'claim_invalid', message };
        if (error instanceof errors.JOSEAlgNotAllowed) return { ok: false, reason: 'algorithm_not_allowed', message };
        if (error instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'bad_signature', message };
        return { ok: false, reason: 'malformed', message };
      }
    },
  };
}
