import { sendProblem } from '@cutover/service-kit';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { NetworkId } from '../cards/networks.ts';
import type { SandboxBin } from '../cards/sandbox-bins.ts';

/** 400 with every field problem, each with its path. */
export function zodProblem(reply: FastifyReply, error: z.ZodError): FastifyReply {
  const issues = error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
  const detail = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return sendProblem(reply, 400, detail, { code: 'CARD_ERR_REQUEST_INVALID', issues });
}

/** The BINs a request may issue from, or undefined after answering 422. */
export function resolveBins(reply: FastifyReply, bins: readonly SandboxBin[], network: NetworkId, bin?: string): SandboxBin[] | undefined {
  const ofNetwork = bins.filter((b) => b.network === network);
  if (bin === undefined) {
    if (ofNetwork.length > 0) return ofNetwork;
    sendProblem(reply, 422, `no sandbox BIN is configured for ${network}`, { code: 'CARD_ERR_NETWORK_NOT_CONFIGURED' });
    return undefined;
  }
  const match = ofNetwork.find((b) => b.bin === bin);
  if (match) return [match];
  sendProblem(reply, 422, `${bin} is not a sandbox BIN of ${network}; GET /api/v1/bins lists them`, {
    code: 'CARD_ERR_BIN_NOT_SANDBOX',
    sandboxBins: ofNetwork.map((b) => b.bin),
  });
  return undefined;
}

/** 409: every candidate BIN has fewer counters left than asked for. */
export function issueProblem(
  reply: FastifyReply,
  network: string,
  count: number,
  bins: { bin: string; available: number }[],
): FastifyReply {
  return sendProblem(
    reply,
    409,
    `no sandbox BIN of ${network} has ${count} card numbers left (${bins.map((b) => `${b.bin}: ${b.available}`).join(', ')}); configure another BIN`,
    { code: 'CARD_ERR_BIN_EXHAUSTED', bins },
  );
}
