import { sendProblem } from '@cutover/service-kit';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';

/** Problem type URIs of this service's refusals (the `type` member of a problem body). */
export const PROBLEM_TYPES = {
  invalidEin: 'https://docs.cutover.dev/compliance/problems/invalid-ein',
  invalidTransition: 'https://docs.cutover.dev/compliance/problems/invalid-transition',
  screeningOpen: 'https://docs.cutover.dev/compliance/problems/screening-open',
  documentRefused: 'https://docs.cutover.dev/compliance/problems/document-refused',
  webhookRefused: 'https://docs.cutover.dev/compliance/problems/webhook-refused',
} as const;

/**
 * The body parsed by `schema`, or undefined after answering 400 with one entry per bad field
 * (`{ path: "address.postalCode", message }`), so nothing is changed by bad input.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, reply: FastifyReply): z.output<S> | undefined {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
  sendProblem(reply, 400, `invalid request body: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
  return undefined;
}
