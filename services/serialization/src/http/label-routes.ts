import { requireAuth } from '@cutover/service-kit';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { READ_SCOPE } from '../auth/token-service.ts';
import { DEFAULT_LABEL_TEMPLATE, LABEL_TEMPLATES } from '../labels/label-templates.ts';
import { renderSvg } from '../labels/render-svg.ts';
import { renderZpl } from '../labels/render-zpl.ts';
import { refuse } from './domain-result.ts';
import type { RouteDeps } from './route-deps.ts';
import { API_PREFIX, sendInvalid, sendRefusal } from './route-helpers.ts';

const query = z.strictObject({
  template: z.enum(Object.keys(LABEL_TEMPLATES) as [string, ...string[]]).default(DEFAULT_LABEL_TEMPLATE),
  format: z.enum(['zpl', 'svg']).default('zpl'),
});

/**
 *   GET /labels/templates                               the print templates
 *   GET /labels/:serialId?template=&format=zpl|svg      the label of a serial: ZPL for the printer, SVG to preview
 * A placeholder's label is refused: a temporary id must not be printed as a final serial.
 */
export function registerLabelRoutes(app: FastifyInstance, deps: RouteDeps & { pool: pg.Pool }) {
  const read = requireAuth(deps.verifier, { scopes: [READ_SCOPE] });
  app.get(`${API_PREFIX}/labels/templates`, { onRequest: read }, async () => ({ templates: Object.values(LABEL_TEMPLATES) }));
  app.get(`${API_PREFIX}/labels/:serialId`, { onRequest: read }, async (request, reply) => {
    const id = z.uuid().safeParse((request.params as { serialId: string }).serialId);
    if (!id.success) return sendInvalid(reply, id.error, 'the serial id must be a UUID');
    const options = query.safeParse(request.query);
    if (!options.success) return sendInvalid(reply, options.error, 'the query string is invalid');
    const { rows } = await deps.pool.query<{ serial_number: string; part_id: string; source: string; created_at: Date }>(
      'SELECT serial_number, part_id, source, created_at FROM serials WHERE id = $1',
      [id.data],
    );
    const serial = rows[0];
    if (!serial) return sendRefusal(reply, refuse(404, 'serial_not_found', `no serial ${id.data}`));
    if (serial.source === 'placeholder')
      return sendRefusal(
        reply,
        refuse(409, 'placeholder_not_printable', 'a placeholder is not a final serial: resolve it, then print the serial'),
      );
    const template = LABEL_TEMPLATES[options.data.template];
    const data = {
      serialNumber: serial.serial_number,
      partId: serial.part_id,
      caption: `${serial.source} ${serial.created_at.toISOString().slice(0, 10)}`,
    };
    if (options.data.format === 'svg') return reply.header('content-type', 'image/svg+xml').send(renderSvg(template, data));
    return reply.header('content-type', 'application/vnd.zebra-zpl; charset=utf-8').send(renderZpl(template, data));
  });
}
