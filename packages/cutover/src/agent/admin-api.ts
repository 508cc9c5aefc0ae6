import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { CutoverError, isCutoverError } from '../errors/cutover-error.ts';
import { redactEnvDeep } from '../shared/redact.ts';
import {
  emptyBodySchema,
  parseBody,
  routeBodySchema,
  shutdownBodySchema,
  startInstanceBodySchema,
  stopInstanceBodySchema,
  weightsBodySchema,
} from './admin-schemas.ts';
import type { Agent } from './agent.ts';
import type { RouteSpec } from './proxy/proxy-server.ts';
import type { InstanceSpec } from './supervisor/process-supervisor.ts';

export type AdminApi = FastifyInstance;

/** Longest wait-healthy a client may ask for in one call. */
export const MAX_WAIT_HEALTHY_MS = 15 * 60_000;

/**
 * The agent's admin API for the CLI and the controller: JSON over a unix socket (or loopback),
 * every request authenticated with the bearer token kept in the data directory.
 */
export function createAdminApi({ agent, token }: { agent: Agent; token: string }): AdminApi {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  const expected = Buffer.from(`Bearer ${token}`);

  app.addHook('onRequest', async (request, reply) => {
    const given = Buffer.from(request.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply.code(401).send({ error: { code: 'CUT_ERR_AGENT_UNAUTHORIZED', message: 'missing or wrong admin token' } });
    }
  });

  // Env values stay in the agent: every answer shows an instance's env keys, never their values.
  app.addHook('preSerialization', async (_request, _reply, payload) => redactEnvDeep(payload));

  app.setErrorHandler((error, _request, reply) => {
    if (isCutoverError(error)) {
      const status = error.code === 'CUT_ERR_AGENT_INSTANCE_NOT_FOUND' ? 404 : 400;
      return reply.code(status).send({ error: error.toJSON() });
    }
    const message = error instanceof Error ? error.message : String(error);
    return reply.code(500).send({ error: { code: 'CUT_ERR_AGENT_REQUEST', message } });
  });

  app.get('/v1/health', async () => ({ ok: true, ...agent.status() }));

  app.get<{ Querystring: { service?: string } }>('/v1/state', async (request) => {
    const filter = request.query.service;
    const instances = agent.routing
      .live()
      .filter((info) => !filter || info.spec.service === filter)
      .map((info) => ({
        ...info,
        inPool: agent.routing.isInPool(info.spec.id),
        joinedPoolMs: agent.routing.joinedPoolMs.get(info.spec.id) ?? null,
      }));
    const services = agent.store
      .routes()
      .filter((route) => !filter || route.spec.service === filter)
      .map((route) => ({ route: route.spec, weights: route.weights, targets: agent.proxy.targets(route.spec.service) }));
    return { agent: agent.status(), services, instances };
  });

  app.put<{ Params: { service: string } }>('/v1/routes/:service', async (request) => {
    const body = parseBody(routeBodySchema, request.body, 'PUT /v1/routes/:service');
    const spec: RouteSpec = { ...body, service: request.params.service };
    await agent.proxy.setRoute(spec);
    agent.store.saveRoute(spec);
    return { route: spec };
  });

  app.put<{ Params: { service: string } }>('/v1/routes/:service/weights', async (request) => {
    const { weights } = parseBody(weightsBodySchema, request.body, 'PUT /v1/routes/:service/weights');
    agent.proxy.setReleaseWeights(request.params.service, weights);
    agent.store.saveWeights(request.params.service, weights);
    // The answer means the next request is split this way, with HAProxy too (an abort relies on it).
    await agent.proxy.applied();
    return { weights };
  });

  app.get<{ Params: { service: string } }>('/v1/routes/:service/counters', async (request) => ({
    counters: agent.proxy.counters(request.params.service),
  }));

  app.get<{ Params: { service: string }; Querystring: { release?: string; sinceMs?: string } }>(
    '/v1/routes/:service/samples',
    async (request) => {
      const { release, sinceMs } = request.query;
      if (!release) throw new CutoverError('CUT_ERR_AGENT_REQUEST', 'the samples route needs ?release=', { hint: 'name the release' });
      const since = Number(sinceMs ?? 0);
      const service = request.params.service;
      return {
        release,
        counters: agent.proxy.counters(service)[release] ?? null,
        samples: agent.proxy.samples(service, release, Number.isFinite(since) ? since : 0),
      };
    },
  );

  app.post('/v1/instances', async (request) => {
    const body = parseBody(startInstanceBodySchema, request.body, 'POST /v1/instances');
    const { route, rollout } = body;
    const spec: InstanceSpec = { ...body.spec, health: body.spec.health };
    if (agent.supervisor.get(spec.id)) {
      throw new CutoverError('CUT_ERR_AGENT_REQUEST', `instance ${spec.id} already exists`, { hint: 'use a new instance id' });
    }
    return { instance: await agent.routing.startInstance(spec, { route, rollout }) };
  });

  app.get<{ Params: { id: string } }>('/v1/instances/:id', async (request) => ({ instance: requireInstance(agent, request.params.id) }));

  app.get<{ Params: { id: string }; Querystring: { timeoutMs?: string } }>('/v1/instances/:id/wait-healthy', async (request) => {
    requireInstance(agent, request.params.id);
    const timeoutMs = Math.min(Number(request.query.timeoutMs ?? 60_000), MAX_WAIT_HEALTHY_MS);
    const outcome = await agent.supervisor.waitHealthy(request.params.id, timeoutMs);
    return { outcome, instance: agent.supervisor.get(request.params.id) };
  });

  app.post<{ Params: { id: string } }>('/v1/instances/:id/route', async (request) => {
    parseBody(emptyBodySchema, request.body, 'POST /v1/instances/:id/route');
    return { instance: agent.routing.route(request.params.id) };
  });

  app.post<{ Params: { id: string } }>('/v1/instances/:id/settle', async (request) => {
    parseBody(emptyBodySchema, request.body, 'POST /v1/instances/:id/settle');
    requireInstance(agent, request.params.id);
    agent.supervisor.settle(request.params.id);
    return { instance: agent.supervisor.get(request.params.id) };
  });

  app.post<{ Params: { id: string } }>('/v1/instances/:id/unroute', async (request) => {
    parseBody(emptyBodySchema, request.body, 'POST /v1/instances/:id/unroute');
    requireInstance(agent, request.params.id);
    return { drain: await agent.routing.unroute(request.params.id) };
  });

  app.post<{ Params: { id: string } }>('/v1/instances/:id/stop', async (request) => {
    const body = parseBody(stopInstanceBodySchema, request.body, 'POST /v1/instances/:id/stop');
    return agent.routing.stopInstance(request.params.id, { timeoutMs: body?.timeoutMs });
  });

  app.post('/v1/shutdown', async (request, reply) => {
    const stopInstances = parseBody(shutdownBodySchema, request.body, 'POST /v1/shutdown')?.stopInstances ?? true;
    reply.send({ stopping: true, stopInstances });
    setImmediate(() => {
      agent.emitShutdown(stopInstances);
    });
    return reply;
  });

  return app;
}

function requireInstance(agent: Agent, id: string) {
  const info = agent.supervisor.get(id);
  if (!info) {
    throw new CutoverError('CUT_ERR_AGENT_INSTANCE_NOT_FOUND', `no instance ${id} on this agent`, {
      hint: 'run "cutover status" to list the instances',
    });
  }
  return info;
}
