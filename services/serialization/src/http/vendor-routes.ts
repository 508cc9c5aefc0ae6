import { requireAuth } from '@cutover/service-kit';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { READ_SCOPE, WRITE_SCOPE } from '../auth/token-service.ts';
import { UNIQUENESS_SCOPES, type UniquenessScope } from '../config/serialization-config.ts';
import { vendorKeyOf } from '../uniqueness/serial-registry.ts';
import type { UniquenessCache } from '../uniqueness/uniqueness-cache.ts';
import { VENDOR_SERIAL_COMMANDS, type VendorSerialCommand } from '../vendor/vendor-serial-state-machine.ts';
import type { VendorSerial, VendorSerialStore } from '../vendor/vendor-serial-store.ts';
import type { RouteDeps } from './route-deps.ts';
import { API_PREFIX, actorOf, sendInvalid, sendRefusal } from './route-helpers.ts';

const partId = z.string().trim().min(1).max(64);
const receiveBody = z.strictObject({
  vendorSerialNumber: z.string().min(1).max(100),
  vendorName: z.string().trim().min(1).max(200),
  partId,
  receivedDate: z.iso.date({ error: 'must be a date such as 2024-11-01' }),
  lotNumber: z.string().trim().min(1).max(64).optional(),
  scope: z.enum(UNIQUENESS_SCOPES).optional(),
});
const transitionBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() }).optional();
const UUID = z.uuid();

export const vendorJson = (serial: VendorSerial) => ({
  ...serial,
  createdAt: serial.createdAt.toISOString(),
  updatedAt: serial.updatedAt.toISOString(),
});

/**
 *   POST /vendor/receive                   the guide's body; 201, or 409 duplicate in scope (recorded)
 *   GET  /vendor/:id                       one vendor serial
 *   GET  /vendor?partId=                   newest first
 *   POST /vendor/:id/{inspect,accept,reject,consume} {reason?}   a state machine command; 409 when refused
 */
export function registerVendorRoutes(
  app: FastifyInstance,
  deps: RouteDeps & { vendor: VendorSerialStore; cache: UniquenessCache; defaultScope: UniquenessScope },
) {
  const read = requireAuth(deps.verifier, { scopes: [READ_SCOPE] });
  const write = requireAuth(deps.verifier, { scopes: [WRITE_SCOPE] });

  app.post(`${API_PREFIX}/vendor/receive`, { onRequest: write }, async (request, reply) => {
    const body = receiveBody.safeParse(request.body);
    if (!body.success) return sendInvalid(reply, body.error);
    const scope = body.data.scope ?? deps.defaultScope;
    const result = await deps.vendor.receive({ ...body.data, scope }, actorOf(request), (normalized) =>
      deps.cache.markTaken(scope, body.data.partId, vendorKeyOf(body.data.vendorName), normalized),
    );
    deps.metrics.vendorSerialsReceived.inc({ outcome: result.ok ? 'received' : result.code });
    if (!result.ok) {
      if (result.code === 'serial_duplicate_in_scope') deps.metrics.uniquenessConflicts.inc({ scope, source: 'vendor' });
      return sendRefusal(reply, result);
    }
    return reply.code(201).send(vendorJson(result.serial));
  });

  app.get(`${API_PREFIX}/vendor/:id`, { onRequest: read }, async (request, reply) => {
    const id = UUID.safeParse((request.params as { id: string }).id);
    if (!id.success) return sendInvalid(reply, id.error, 'the id must be a UUID');
    const serial = await deps.vendor.get(id.data);
    if (!serial)
      return sendRefusal(reply, { ok: false, status: 404, code: 'vendor_serial_not_found', detail: `no vendor serial ${id.data}` });
    return vendorJson(serial);
  });

  app.get(`${API_PREFIX}/vendor`, { onRequest: read }, async (request, reply) => {
    const query = z.object({ partId }).safeParse(request.query);
    if (!query.success) return sendInvalid(reply, query.error, 'partId is required');
    return { serials: (await deps.vendor.listByPart(query.data.partId, 100)).map(vendorJson) };
  });

  for (const command of VENDOR_SERIAL_COMMANDS) {
    app.post(`${API_PREFIX}/vendor/:id/${command}`, { onRequest: write }, async (request, reply) => {
      const id = UUID.safeParse((request.params as { id: string }).id);
      if (!id.success) return sendInvalid(reply, id.error, 'the id must be a UUID');
      const body = transitionBody.safeParse(request.body ?? undefined);
      if (!body.success) return sendInvalid(reply, body.error);
      const result = await deps.vendor.transition(id.data, command as VendorSerialCommand, body.data?.reason ?? null, actorOf(request));
      if (!result.ok) return sendRefusal(reply, result);
      return vendorJson(result.serial);
    });
  }
}
