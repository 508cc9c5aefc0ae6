import { sendProblem } from '@cutover/service-kit';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { verifyPassword } from '../auth/password-hash.ts';
import { scopesForRoles, type TokenService } from '../auth/token-service.ts';
import { sendInvalid } from './route-helpers.ts';

const loginBody = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) });

/** POST /api/v1/auth/login {username, password} → {accessToken, tokenType, expiresIn} (JWT_EXPIRATION). */
export function registerAuthRoutes(app: FastifyInstance, deps: { pool: pg.Pool; tokens: TokenService }) {
  app.post('/api/v1/auth/login', async (request, reply) => {
    const body = loginBody.safeParse(request.body);
    if (!body.success) return sendInvalid(reply, body.error);
    const { rows } = await deps.pool.query<{ password_hash: string; roles: string[] }>(
      'SELECT password_hash, roles FROM service_accounts WHERE username = $1',
      [body.data.username],
    );
    const account = rows[0];
    if (!account || !(await verifyPassword(body.data.password, account.password_hash))) {
      request.log.info({ event: 'auth:refused' }, 'login refused');
      return sendProblem(reply, 401, 'unknown user name or wrong password');
    }
    const accessToken = await deps.tokens.sign(body.data.username, scopesForRoles(account.roles));
    return { accessToken, tokenType: 'Bearer', expiresIn: deps.tokens.ttlSec };
  });
}
