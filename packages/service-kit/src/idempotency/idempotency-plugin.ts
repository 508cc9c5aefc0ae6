import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from '../http/send-problem.ts';
import type { ServiceMetrics } from '../metrics/service-metrics.ts';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from './idempotency-key-header.ts';
import type { IdempotencyStore } from './idempotency-store.ts';
import { requestFingerprint } from './request-fingerprint.ts';

/** Header marking a response that was replayed from the store (Stripe's convention). */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

/** Response headers kept for replay besides `content-type`. */
export const DEFAULT_REPLAYED_HEADERS: readonly string[] = ['location', 'content-location', 'etag', 'last-modified', 'cache-control'];

export interface IdempotentRouteOptions {
  /** Refuse a request without `Idempotency-Key` with 400; default true. When false, no key = no idempotency. */
  required?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Make this route idempotent (see `registerIdempotency`): `true` or `{ required: false }`. */
    idempotency?: boolean | IdempotentRouteOptions;
  }
}

export interface IdempotencyOptions {
  store: IdempotencyStore;
  /**
   * Namespace of keys, normally the authenticated principal, so that one client cannot replay
   * another's response. Default: `issuer|subject` of `request.principal`, else `anonymous`.
   */
  scope?: (request: FastifyRequest) => string;
  /** Response headers stored and replayed besides content-type; default `DEFAULT_REPLAYED_HEADERS`. */
  replayedHeaders?: readonly string[];
  /**
   * Whether a response is kept for replay. Default: everything (errors included, as the draft
   * and Stripe do) except 429 and 503, which say "try again" and must not be frozen.
   */
  shouldStore?: (statusCode: number) => boolean;
  metrics?: ServiceMetrics;
}

interface Pending {
  scope: string;
  key: string;
  token: string;
  settled: boolean;
}

function defaultScope(request: FastifyRequest): string {
  const principal = (request as { principal?: { issuer: string; subject: string } | null }).principal;
  return principal ? `${principal.issuer}|${principal.subject}` : 'anonymous';
}

const defaultShouldStore = (statusCode: number) => statusCode !== 429 && statusCode !== 503;

function routeOptions(request: FastifyRequest): IdempotentRouteOptions | undefined {
  const config = request.routeOptions.config.idempotency;
  if (config === undefined || config === false) return undefined;
  return config === true ? {} : config;
}

function payloadBytes(payload: unknown): Buffer | undefined {
  if (payload === null || payload === undefined) return Buffer.alloc(0);
  if (typeof payload === 'string') return Buffer.from(payload);
  if (Buffer.isBuffer(payload)) return payload;
  return undefined;
}

/**
 * Idempotency-Key handling (IETF draft-ietf-httpapi-idempotency-key-header) for routes with
 * `config: { idempotency: true }`: the first request runs and its response is stored before it is
 * sent; a retry gets the stored response with `Idempotent-Replayed: true`; a duplicate while the
 * first runs gets 409; the same key with another payload gets 422; no key gets 400.
 * Runs as preHandler, i.e. after authentication (onRequest) and body validation.
 */
export function registerIdempotency(app: FastifyInstance, options: IdempotencyOptions): void {
  const { store, metrics } = options;
  const scopeOf = options.scope ?? defaultScope;
  const shouldStore = options.shouldStore ?? defaultShouldStore;
  const replayed = ['content-type', ...(options.replayedHeaders ?? DEFAULT_REPLAYED_HEADERS)].map((name) => name.toLowerCase());
  const pending = new WeakMap<FastifyRequest, Pending>();
  const count = (outcome: string) => metrics?.idempotencyOutcomesTotal.inc({ outcome });

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = routeOptions(request);
    if (!route) return;
    const parsed = parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]);
    if (!parsed.ok) {
      if (parsed.reason === 'missing' && route.required === false) return;
      count(parsed.reason === 'missing' ? 'missing_key' : 'invalid_key');
      return sendProblem(reply, 400, parsed.detail);
    }
    const scope = scopeOf(request);
    const fingerprint = requestFingerprint({ method: request.method, path: request.url, body: request.body });
    const begun = await store.begin({ scope, key: parsed.key, fingerprint, method: request.method, path: request.url });
    count(begun.outcome);
    switch (begun.outcome) {
      case 'acquired':
        pending.set(request, { scope, key: parsed.key, token: begun.token, settled: false });
        return;
      case 'replay':
        reply.code(begun.response.statusCode);
        for (const [name, value] of Object.entries(begun.response.headers)) reply.header(name, value);
        reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
        return reply.send(begun.response.body);
      case 'in_flight':
        reply.header('retry-after', '1');
        return sendProblem(reply, 409, 'a request with this Idempotency-Key is still being processed; retry later');
      case 'mismatch':
        return sendProblem(reply, 422, 'this Idempotency-Key was already used with a different request (method, path or body)');
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const entry = pending.get(request);
    if (!entry || entry.settled) return payload;
    entry.settled = true;
    const body = payloadBytes(payload);
    try {
      if (body === undefined || !shouldStore(reply.statusCode)) {
        await store.release(entry.scope, entry.key, entry.token);
        return payload;
      }
      const headers: Record<string, string> = {};
      for (const name of replayed) {
        const value = reply.getHeader(name);
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
      }
      const stored = await store.complete(entry.scope, entry.key, entry.token, { statusCode: reply.statusCode, headers, body });
      if (!stored) request.log.warn({ idempotencyScope: entry.scope }, 'idempotency lock was lost before the response was stored');
    } catch (error) {
      // The response still goes out; the key stays locked until its lock timeout, so a retry gets 409, never a second run.
      request.log.error({ err: error }, 'could not store the idempotent response');
    }
    return payload;
  });

  // A request that ended without onSend (connection lost, hook error) must not hold its key.
  app.addHook('onResponse', async (request) => {
    const entry = pending.get(request);
    if (!entry || entry.settled) return;
    entry.settled = true;
    await store.release(entry.scope, entry.key, entry.token).catch((error: unknown) => {
      request.log.error({ err: error }, 'could not release an idempotency key');
    });
  });
}
