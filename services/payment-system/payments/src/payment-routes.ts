import { IDEMPOTENCY_KEY_HEADER, type JwtVerifier, parseIdempotencyKey, requireAuth, sendProblem } from '@cutover/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { currencyExponent, formatMinorUnits, MAX_AMOUNT_MINOR_UNITS } from './currency.ts';
import { decodeCursor, encodeCursor } from './payment-cursor.ts';
import type { PaymentCommand } from './payment-state-machine.ts';
import type { Payment, PaymentOperation, PaymentStore } from './payment-store.ts';

export const READ_SCOPE = 'payments:read';
export const WRITE_SCOPE = 'payments:write';
export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;
/** RFC 9457 problem type of a command the payment's state does not accept. */
export const INVALID_TRANSITION_TYPE = 'urn:payment-system:problem:invalid-transition';
export const INVALID_AMOUNT_TYPE = 'urn:payment-system:problem:invalid-amount';

const amount = z.int().positive().max(MAX_AMOUNT_MINOR_UNITS);
const createBody = z.strictObject({
  /** Integer minor units (cents for EUR, yen for JPY). */
  amount,
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in upper case')
    .refine((code) => currencyExponent(code) !== undefined, 'is not a supported ISO 4217 currency'),
  description: z.string().min(1).max(500).optional(),
});
const noBody = z.strictObject({}).optional();
const amountBody = z.strictObject({ amount: amount.optional() }).optional();
const listQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.int().min(1).max(MAX_PAGE_LIMIT))
    .optional(),
  cursor: z.string().min(1).max(64).optional(),
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The part of a prom-client counter the routes use. */
export interface LabelledCounter<L extends string> {
  inc(labels: Partial<Record<L, string>>): void;
}

export interface PaymentRouteDeps {
  store: PaymentStore;
  verifier: JwtVerifier;
  created: LabelledCounter<'currency' | 'outcome'>;
  transitions: LabelledCounter<'command' | 'outcome'>;
}

export function paymentJson(payment: Payment) {
  return {
    id: payment.id,
    status: payment.status,
    amount: payment.amount,
    currency: payment.currency,
    amountFormatted: formatMinorUnits(payment.amount, payment.currency),
    capturedAmount: payment.capturedAmount,
    refundedAmount: payment.refundedAmount,
    description: payment.description,
    createdAt: payment.createdAt.toISOString(),
    updatedAt: payment.updatedAt.toISOString(),
  };
}

function operationJson(operation: PaymentOperation) {
  return { ...operation, createdAt: operation.createdAt.toISOString() };
}

function badRequest(reply: FastifyReply, error: z.ZodError, what = 'the request body is invalid'): FastifyReply {
  const errors = error.issues.map((issue) => ({ field: issue.path.join('.') || '(body)', message: issue.message }));
  return sendProblem(reply, 400, what, { errors });
}

const notFound = (reply: FastifyReply) => sendProblem(reply, 404, 'no such payment');

/** requireAuth ran first, so a principal is always there; payments belong to the token's subject. */
const ownerOf = (request: FastifyRequest) => request.principal!.subject;

/**
 * Routes, relative to where the proxy mounts the service (cutover.yml: pathPrefix /payments, stripPrefix):
 *   POST /                 create (Idempotency-Key required)          201
 *   GET  /                 list, newest first (?limit=&cursor=)       200
 *   GET  /:id              one payment with its operations            200
 *   POST /:id/authorize | /:id/capture {amount?} | /:id/void | /:id/refunds {amount?}
 *                          a state machine command (Idempotency-Key optional, replayed when given)
 * A command the payment's state does not accept answers 409 (problem type INVALID_TRANSITION_TYPE).
 */
export function registerPaymentRoutes(app: FastifyInstance, deps: PaymentRouteDeps): void {
  const read = requireAuth(deps.verifier, { scopes: [READ_SCOPE] });
  const write = requireAuth(deps.verifier, { scopes: [WRITE_SCOPE] });

  app.post('/', { onRequest: write, config: { idempotency: true } }, async (request, reply) => {
    const body = createBody.safeParse(request.body);
    if (!body.success) return badRequest(reply, body.error);
    const key = parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]);
    const result = await deps.store.create({
      owner: ownerOf(request),
      amount: body.data.amount,
      currency: body.data.currency,
      description: body.data.description ?? null,
      idempotencyKey: key.ok ? key.key : null,
    });
    deps.created.inc({ currency: body.data.currency, outcome: result.outcome });
    if (result.outcome === 'key_reused') {
      return sendProblem(
        reply,
        422,
        'this Idempotency-Key was already used for a payment with a different amount, currency or description',
      );
    }
    if (result.outcome === 'created') {
      request.log.info({ event: 'payment:created', paymentId: result.payment.id }, 'payment created');
      return reply.code(201).send(paymentJson(result.payment));
    }
    // The key outlived the idempotency store's 24 h window, but the payment remembers it.
    return reply.code(200).header('idempotent-replayed', 'true').send(paymentJson(result.payment));
  });

  app.get('/', { onRequest: read }, async (request, reply) => {
    const query = listQuery.safeParse(request.query);
    if (!query.success) return badRequest(reply, query.error, 'the query string is invalid');
    let beforeSeq: number | undefined;
    if (query.data.cursor !== undefined) {
      const seq = decodeCursor(query.data.cursor);
      if (seq === null) return sendProblem(reply, 400, 'the cursor is not valid; use nextCursor from a previous page');
      beforeSeq = seq;
    }
    const page = await deps.store.list(ownerOf(request), { limit: query.data.limit ?? DEFAULT_PAGE_LIMIT, beforeSeq });
    return reply.send({
      data: page.payments.map(paymentJson),
      nextCursor: page.nextAfterSeq === null ? null : encodeCursor(page.nextAfterSeq),
    });
  });

  app.get<{ Params: { id: string } }>('/:id', { onRequest: read }, async (request, reply) => {
    if (!UUID.test(request.params.id)) return notFound(reply);
    const payment = await deps.store.get(ownerOf(request), request.params.id);
    if (!payment) return notFound(reply);
    const operations = await deps.store.operations(payment.id);
    return reply.send({ ...paymentJson(payment), operations: operations.map(operationJson) });
  });

  const command = (path: string, kind: PaymentCommand['kind'], body: typeof noBody | typeof amountBody) =>
    app.post<{ Params: { id: string } }>(
      path,
      { onRequest: write, config: { idempotency: { required: false } } },
      async (request, reply) => {
        if (!UUID.test(request.params.id)) return notFound(reply);
        const parsed = body.safeParse(request.body ?? undefined);
        if (!parsed.success) return badRequest(reply, parsed.error);
        const amount = parsed.data && 'amount' in parsed.data ? parsed.data.amount : undefined;
        const outcome = await deps.store.transition(ownerOf(request), request.params.id, { kind, amount } as PaymentCommand);
        deps.transitions.inc({ command: kind, outcome: outcome.outcome });
        switch (outcome.outcome) {
          case 'not_found':
            return notFound(reply);
          case 'refused': {
            const { decision } = outcome;
            const invalidAmount = decision.error === 'invalid_amount';
            return sendProblem(reply, invalidAmount ? 422 : 409, decision.detail, {
              type: invalidAmount ? INVALID_AMOUNT_TYPE : INVALID_TRANSITION_TYPE,
              title: invalidAmount ? 'Invalid amount' : 'Invalid state transition',
              code: decision.error,
              command: kind,
              paymentStatus: decision.from,
              allowedCommands: decision.allowedCommands,
            });
          }
          case 'conflict':
            return sendProblem(reply, 409, `the payment changed concurrently and the database refused this ${kind}`, {
              type: INVALID_TRANSITION_TYPE,
              title: 'Invalid state transition',
              code: 'concurrent_change',
              command: kind,
              constraint: outcome.constraint,
            });
          case 'applied':
            request.log.info(
              { event: `payment:${outcome.payment.status}`, paymentId: outcome.payment.id, from: outcome.operation.fromStatus },
              `payment ${kind} applied`,
            );
            return reply.send({ ...paymentJson(outcome.payment), operation: operationJson(outcome.operation) });
        }
      },
    );
  command('/:id/authorize', 'authorize', noBody);
  command('/:id/capture', 'capture', amountBody);
  command('/:id/void', 'void', noBody);
  command('/:id/refunds', 'refund', amountBody);
}
