import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { isCutoverError } from '../../errors/cutover-error.ts';

export type ControllerApi = FastifyInstance;

/**
 * A module of routes of the controller API, each in its own file (deployments here; tasks and
 * runs register theirs the same way): `register` adds its routes to the app.
 */
export interface RouteModule<C> {
  name: string;
  register(app: FastifyInstance, context: C): void;
}

const NOT_FOUND_CODES = new Set(['CUT_ERR_DEPLOY_NOT_FOUND']);

/**
 * The controller's API: JSON over the unix socket in the data directory (0600), every request
 * authenticated with the agent's admin token. Errors answer `{ error: { code, message, hint } }`.
 */
export function createControllerApi<C>(options: { token: string; context: C; modules: readonly RouteModule<C>[] }): ControllerApi {
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
  const expected = Buffer.from(`Bearer ${options.token}`);
  app.addHook('onRequest', async (request, reply) => {
    const given = Buffer.from(request.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply.code(401).send({ error: { code: 'CUT_ERR_CONTROLLER_UNAUTHORIZED', message: 'missing or wrong admin token' } });
    }
  });
  app.setErrorHandler((error, _request, reply) => {
    if (isCutoverError(error)) return reply.code(NOT_FOUND_CODES.has(error.code) ? 404 : 400).send({ error: error.toJSON() });
    const message = error instanceof Error ? error.message : String(error);
    return reply.code(500).send({ error: { code: 'CUT_ERR_CONTROLLER_REQUEST', message } });
  });
  app.get('/v1/health', async () => ({ ok: true, pid: process.pid }));
  for (const module of options.modules) module.register(app, options.context);
  return app;
}
