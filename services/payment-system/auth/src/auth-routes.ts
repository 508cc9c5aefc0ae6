import { type Bulkhead, type JwtSigner, sendProblem } from '@cutover/service-kit';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { LoginThrottle } from './login-throttle.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { normaliseEmail, type UserStore } from './user-store.ts';

/** Scopes of every access token: a user may read and create their own payments. */
export const ACCESS_TOKEN_SCOPES = ['payments:read', 'payments:write'] as const;
/** Shortest accepted password (NIST SP 800-63B allows 8; longer passphrases cost nothing with scrypt). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest accepted password: bounds the work one request can ask of the hasher. */
export const MAX_PASSWORD_LENGTH = 256;
/** The one answer to any failed login, whether the account exists or not. */
export const INVALID_CREDENTIALS = 'invalid email or password';

const registerBody = z.strictObject({
  email: z.string().max(320).transform(normaliseEmail).pipe(z.email().max(254)),
  password: z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH),
});

// Login does not check the email's shape: a malformed address is just an unknown account.
const loginBody = z.strictObject({
  email: z.string().min(1).max(320),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
});

/** The part of a prom-client counter the routes use. */
export interface OutcomeCounter {
  inc(labels: { outcome: string }): void;
}

export interface AuthRouteDeps {
  users: UserStore;
  hasher: PasswordHasher;
  /** Hash of a random password, verified when the account does not exist. */
  dummyHash: string;
  throttle: LoginThrottle;
  signer: JwtSigner;
  audience: string;
  tokenTtlSec: number;
  /** Bounds concurrent scrypt work (128 MiB each). */
  hashing: Bulkhead;
  logins: OutcomeCounter;
  registrations: OutcomeCounter;
}

/** Validation problems name fields and rules, never the submitted values (they may be passwords). */
function badRequest(reply: FastifyReply, error: z.ZodError): FastifyReply {
  const errors = error.issues.map((issue) => ({ field: issue.path.join('.') || '(body)', message: issue.message }));
  return sendProblem(reply, 400, 'the request body is invalid', { errors });
}

function busy(reply: FastifyReply): FastifyReply {
  return sendProblem(reply.header('retry-after', '1'), 503, 'too many password checks in progress; retry shortly');
}

/**
 * POST /register {email, password} → 201 {id, email, createdAt}; 409 when the email is taken.
 * POST /login {email, password} → 200 {access_token, token_type, expires_in, scope}; 401 with the
 * same body for an unknown account and a wrong password (both run one scrypt verification);
 * 429 with Retry-After while the account or the client IP is locked out.
 */
export function registerAuthRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  app.post('/register', async (request, reply) => {
    const body = registerBody.safeParse(request.body);
    if (!body.success) return badRequest(reply, body.error);
    const hashed = await deps.hashing.run(() => deps.hasher.hash(body.data.password));
    if (!hashed.ok) return busy(reply);
    const created = await deps.users.create(body.data.email, hashed.value);
    if (!created.ok) {
      deps.registrations.inc({ outcome: 'email_taken' });
      return sendProblem(reply, 409, 'an account with this email already exists');
    }
    deps.registrations.inc({ outcome: 'created' });
    const { user } = created;
    return reply.code(201).send({ id: user.id, email: user.email, createdAt: user.createdAt.toISOString() });
  });

  app.post('/login', async (request, reply) => {
    const body = loginBody.safeParse(request.body);
    if (!body.success) return badRequest(reply, body.error);
    const email = normaliseEmail(body.data.email);
    let decision: Awaited<ReturnType<LoginThrottle['attempt']>>;
    try {
      decision = await deps.throttle.attempt(email, request.ip);
    } catch (error) {
      // Without the shared counters every instance would allow unlimited guesses: refuse instead.
      request.log.error({ err: error }, 'login throttle unavailable');
      return sendProblem(reply.header('retry-after', '5'), 503, 'login is temporarily unavailable');
    }
    if (!decision.allowed) {
      deps.logins.inc({ outcome: 'throttled' });
      request.log.warn({ scope: decision.scope, retryAfterMs: decision.retryAfterMs }, 'login throttled');
      const retryAfterSec = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      return sendProblem(reply.header('retry-after', String(retryAfterSec)), 429, 'too many login attempts; retry later', {
        retryAfterSeconds: retryAfterSec,
      });
    }
    const user = await deps.users.findByEmail(email);
    const verified = await deps.hashing.run(() => deps.hasher.verify(body.data.password, user?.passwordHash ?? deps.dummyHash));
    if (!verified.ok) return busy(reply);
    if (!user || !verified.value.ok) {
      deps.logins.inc({ outcome: 'invalid' });
      return sendProblem(reply, 401, INVALID_CREDENTIALS);
    }
    await deps.throttle.succeeded(email, request.ip).catch((error: unknown) => {
      request.log.warn({ err: error }, 'could not reset the login throttle');
    });
    if (verified.value.needsRehash) {
      const rehashed = await deps.hashing.run(() => deps.hasher.hash(body.data.password));
      if (rehashed.ok) await deps.users.updatePasswordHash(user.id, rehashed.value);
    }
    const token = await deps.signer.sign({
      subject: user.id,
      audience: deps.audience,
      scopes: ACCESS_TOKEN_SCOPES,
      ttlSec: deps.tokenTtlSec,
    });
    deps.logins.inc({ outcome: 'success' });
    return reply.header('cache-control', 'no-store').send({
      access_token: token,
      token_type: 'Bearer',
      expires_in: deps.tokenTtlSec,
      scope: ACCESS_TOKEN_SCOPES.join(' '),
    });
  });
}
