import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { eraseContact } from '../../storage/repositories/erasure.js';
import { recordAudit } from '../audit.js';
import type { StaffContext } from '../context.js';
import { notFound } from '../errors.js';
import { sessionOf } from '../http/guard.js';
import { contactExport } from '../queries/contact-export.js';
import { botDb } from '../storage/schema.js';
import { idParams } from '../validation.js';

/** Erasure cannot be undone: the request must say so in words, not by a stray click or replay. */
const eraseBody = z.object({ confirm: z.literal('erase', 'expected "confirm": "erase"') }).strict();

/**
 * A beneficiary's rights over their data, exercised by an admin on their behalf: a copy of
 * everything held about them, and erasure. Both audited, neither with personal data in the log.
 */
export function contactRoutes(app: FastifyInstance, ctx: StaffContext): void {
  const admin = { config: { staffAccess: 'admin' as const } };

  app.get('/contacts/:id/export', admin, async (request, reply) => {
    const { id } = idParams.parse(request.params);
    const data = await contactExport(ctx.db, id);
    if (!data) throw notFound('contact');
    await recordAudit(ctx.db, {
      staffId: sessionOf(request).staff.id,
      action: 'contact.export',
      target: { type: 'contact', id },
      ip: request.ip,
    });
    return reply.header('content-disposition', `attachment; filename="beneficiary-${id}.json"`).send(data);
  });

  app.post('/contacts/:id/erase', admin, async (request) => {
    const { id } = idParams.parse(request.params);
    eraseBody.parse(request.body);
    const erased = await eraseContact(botDb(ctx.db), id, new Date());
    if (!erased) throw notFound('contact');
    await recordAudit(ctx.db, {
      staffId: sessionOf(request).staff.id,
      action: 'contact.erase',
      target: { type: 'contact', id },
      details: { ...erased },
      ip: request.ip,
    });
    ctx.logger.info({ contactId: id, ...erased }, 'a beneficiary’s personal data was erased');
    return { erased };
  });
}
