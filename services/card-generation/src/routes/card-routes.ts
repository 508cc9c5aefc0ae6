import { sendProblem } from '@cutover/service-kit';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import type { TwoTierCache } from '../cache/two-tier-cache.ts';
import { MAX_CARDS_PER_REQUEST } from '../card-config.ts';
import type { CardIssuer } from '../cards/card-issuer.ts';
import type { CardMinter, MintedCard } from '../cards/card-minter.ts';
import { isLuhnValid } from '../cards/luhn.ts';
import { maskPan } from '../cards/mask-pan.ts';
import { detectNetwork, NETWORK_IDS, networkById } from '../cards/networks.ts';
import { type SandboxBin, sandboxBinOf } from '../cards/sandbox-bins.ts';
import { findCard, findCardByPanHash, revokeCard, type StoredCard, searchCards } from '../store/card-store.ts';
import { issueProblem, resolveBins, zodProblem } from './request-problems.ts';

export interface CardRoutesOptions {
  pool: pg.Pool;
  issuer: CardIssuer;
  minter: CardMinter;
  bins: readonly SandboxBin[];
  cardCache: TwoTierCache<StoredCard>;
}

const createBody = z.strictObject({
  network: z.enum(NETWORK_IDS),
  count: z.number().int().min(1).max(MAX_CARDS_PER_REQUEST).default(1),
  bin: z
    .string()
    .regex(/^\d{6,16}$/, 'must be 6 to 16 digits')
    .optional(),
});

const validateBody = z.strictObject({
  pan: z.string().regex(/^\d{12,19}$/, 'must be 12 to 19 digits (no spaces or dashes)'),
});

/** Most cards one search returns. */
export const MAX_SEARCH_RESULTS = 50;

const searchQuery = z
  .strictObject({
    bin: z
      .string()
      .regex(/^\d{6,16}$/, 'must be 6 to 16 digits')
      .optional(),
    last4: z
      .string()
      .regex(/^\d{4}$/, 'must be 4 digits')
      .optional(),
    expiryMonth: z.coerce.number().int().min(1).max(12).optional(),
    expiryYear: z.coerce.number().int().min(2000).max(2100).optional(),
    status: z.enum(['active', 'revoked']).optional(),
  })
  .refine(
    (q) => Object.values(q).filter((v) => v !== undefined).length >= 2,
    'give at least two of bin, last4, expiryMonth, expiryYear, status',
  );

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a client sees of a stored card: never the PAN, never the CVC. */
export function maskedView(card: StoredCard) {
  return {
    id: card.id,
    network: card.network,
    bin: card.bin,
    maskedPan: maskPan(card.bin.slice(0, 6), card.last4, card.panLength),
    last4: card.last4,
    expiryMonth: card.expiryMonth,
    expiryYear: card.expiryYear,
    status: card.status,
    jobId: card.jobId,
    createdAt: card.createdAt,
    testOnly: true,
  };
}

/** The one response that carries PAN and CVC: the creation of a sandbox test card. */
function createdView(card: MintedCard, bin: SandboxBin) {
  return {
    id: card.id,
    network: bin.network,
    bin: bin.bin,
    pan: card.pan,
    cvc: card.cvc,
    expiryMonth: card.expiryMonth,
    expiryYear: card.expiryYear,
    maskedPan: maskPan(card.pan.slice(0, 6), card.last4, card.pan.length),
    testOnly: true,
  };
}

export function registerCardRoutes(app: FastifyInstance, options: CardRoutesOptions): void {
  const { pool, issuer, bins, cardCache } = options;

  app.post('/api/v1/cards', async (request, reply) => {
    const parsed = createBody.safeParse(request.body);
    if (!parsed.success) return zodProblem(reply, parsed.error);
    const { network, count, bin } = parsed.data;
    const candidates = resolveBins(reply, bins, network, bin);
    if (!candidates) return reply;
    const result = await issuer.issue(network, candidates, count);
    if (!result.ok) return issueProblem(reply, network, count, result.bins);
    return reply.code(201).send({ cards: result.cards.map((card) => createdView(card, result.bin)) });
  });

  app.post('/api/v1/cards/validate', async (request, reply) => {
    const parsed = validateBody.safeParse(request.body);
    if (!parsed.success) return zodProblem(reply, parsed.error);
    const { pan } = parsed.data;
    const network = detectNetwork(pan);
    const lengthValid = network ? networkById(network.id)?.panLengths.includes(pan.length) === true : false;
    const luhn = isLuhnValid(pan);
    const sandbox = sandboxBinOf(bins, pan);
    // Issued here? Only a sandbox PAN can be; the lookup is by its index key (and by the AES hash rows of
    // older releases carry until `migrate:data` rewrites them), the PAN never leaves memory.
    const issued =
      sandbox && luhn
        ? await findCardByPanHash(pool, [options.minter.panKey(sandbox, pan), options.minter.crypto.hashPan(pan)])
        : undefined;
    return reply.send({
      valid: luhn && lengthValid,
      luhn,
      network: network?.id ?? null,
      length: pan.length,
      lengthValid,
      sandboxBin: sandbox?.bin ?? null,
      issued: issued !== undefined,
      ...(issued ? { cardId: issued.id, status: issued.status } : {}),
    });
  });

  app.get('/api/v1/cards', async (request, reply) => {
    const parsed = searchQuery.safeParse(request.query);
    if (!parsed.success) return zodProblem(reply, parsed.error);
    const cards = await searchCards(pool, parsed.data, MAX_SEARCH_RESULTS);
    return reply.send({ cards: cards.map(maskedView) });
  });

  app.get<{ Params: { id: string } }>('/api/v1/cards/:id', async (request, reply) => {
    const { id } = request.params;
    if (!UUID.test(id)) return sendProblem(reply, 400, `card id "${id.slice(0, 64)}" is not a UUID`, { code: 'CARD_ERR_ID_INVALID' });
    const card = await cardCache.get(id, () => findCard(pool, id));
    if (!card) return sendProblem(reply, 404, `no card ${id}`, { code: 'CARD_ERR_NOT_FOUND' });
    return reply.send(maskedView(card));
  });

  app.delete<{ Params: { id: string } }>('/api/v1/cards/:id', async (request, reply) => {
    const { id } = request.params;
    if (!UUID.test(id)) return sendProblem(reply, 400, `card id "${id.slice(0, 64)}" is not a UUID`, { code: 'CARD_ERR_ID_INVALID' });
    if (!(await revokeCard(pool, id))) return sendProblem(reply, 404, `no card ${id}`, { code: 'CARD_ERR_NOT_FOUND' });
    await cardCache.invalidate(id);
    return reply.code(204).send();
  });
}
