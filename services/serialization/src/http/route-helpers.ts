import { sendProblem } from '@cutover/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { problemType, type Refusal } from './domain-result.ts';

/** Every API path of the guide starts here. */
export const API_PREFIX = '/api/v1/serialization';

export function sendRefusal(reply: FastifyReply, refusal: Refusal): FastifyReply {
  return sendProblem(reply, refusal.status, refusal.detail, { type: problemType(refusal.code), code: refusal.code, ...refusal.extra });
}

/** 400 listing every bad field: what is wrong and where. */
export function sendInvalid(reply: FastifyReply, error: z.ZodError, what = 'the request body is invalid'): FastifyReply {
  const errors = error.issues.map((issue) => ({ field: issue.path.join('.') || '(body)', message: issue.message }));
  return sendProblem(reply, 400, what, { type: problemType('request_invalid'), code: 'request_invalid', errors });
}

/** Who is acting (requireAuth ran first) and the request id that ties the audit event to the logs. */
export const actorOf = (request: FastifyRequest) => ({ subject: request.principal?.subject ?? 'anonymous', requestId: request.id });
