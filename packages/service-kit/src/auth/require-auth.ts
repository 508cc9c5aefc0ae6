import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { sendProblem } from '../http/send-problem.ts';
import type { JwtSigner } from './jwt-signer.ts';
import { JWKS_PATH } from './jwt-signer.ts';
import type { JwtVerifier } from './jwt-verifier.ts';
import './principal.ts';

export interface RequireAuthOptions {
  /** Scopes the token must all carry; default none. */
  scopes?: readonly string[];
  /** `realm` in WWW-Authenticate; default 'api'. */
  realm?: string;
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(header);
  return match?.[1];
}

function challenge(reply: FastifyReply, realm: string, error?: string, description?: string): FastifyReply {
  const parts = [`Bearer realm="${realm}"`];
  if (error) parts.push(`error="${error}"`);
  if (description) parts.push(`error_description="${description.replace(/["\\]/g, '')}"`);
  return reply.header('www-authenticate', parts.join(', '));
}

/**
 * An onRequest hook that requires a valid bearer token and sets `request.principal`:
 * `app.post('/payments', { onRequest: requireAuth(verifier, { scopes: ['payments:write'] }) }, handler)`.
 * 401 for a missing or bad token (RFC 6750 challenge), 403 for missing scopes, 503 when the
 * key set cannot be fetched. Running at onRequest means idempotency (preHandler) sees the principal.
 */
export function requireAuth(verifier: JwtVerifier, options: RequireAuthOptions = {}): onRequestAsyncHookHandler {
  const realm = options.realm ?? 'api';
  const required = options.scopes ?? [];
  return async function requireAuthHook(request, reply) {
    const token = bearerToken(request);
    if (token === undefined) {
      return sendProblem(challenge(reply, realm), 401, 'a bearer token is required');
    }
    const result = await verifier.verify(token);
    if (!result.ok) {
      if (result.reason === 'jwks_unavailable') {
        request.log.error({ reason: result.reason, detail: result.message }, 'token keys unavailable');
        return sendProblem(reply.header('retry-after', '5'), 503, 'token verification is temporarily unavailable');
      }
      request.log.info({ reason: result.reason }, 'rejected bearer token');
      return sendProblem(challenge(reply, realm, 'invalid_token', result.reason), 401, `invalid token: ${result.reason}`);
    }
    const missing = required.filter((scope) => !result.principal.scopes.includes(scope));
    if (missing.length > 0) {
      const scopeParam = `scope="${required.join(' ')}"`;
      challenge(reply, realm, 'insufficient_scope');
      reply.header('www-authenticate', `${reply.getHeader('www-authenticate')}, ${scopeParam}`);
      return sendProblem(reply, 403, `token lacks scope ${missing.join(', ')}`);
    }
    request.principal = result.principal;
  };
}

/** Serve the signer's public keys at `path` (default `JWKS_PATH`), cacheable for 5 minutes. */
export function registerJwksRoute(app: FastifyInstance, signer: Pick<JwtSigner, 'jwks'>, path = JWKS_PATH): void {
  app.get(path, { config: { shed: false } }, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').header('content-type', 'application/jwk-set+json').send(signer.jwks()),
  );
}
