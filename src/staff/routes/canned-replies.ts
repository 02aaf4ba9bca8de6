import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { recordAudit } from '../audit.js';
import type { StaffContext } from '../context.js';
import { notFound } from '../errors.js';
import { sessionOf } from '../http/guard.js';
import { idParams } from '../validation.js';
import { MAX_REPLY_LENGTH } from './conversations.js';

const title = z.string().trim().min(1, 'a title is required').max(100, 'a title has at most 100 characters');
const text = z
  .string()
  .trim()
  .min(1, 'a text is required')
  .max(MAX_REPLY_LENGTH, `a reply has at most ${MAX_REPLY_LENGTH} characters`);

const newReply = z.object({ title, text });
const replyChanges = z
  .object({ title: title.optional(), text: text.optional() })
  .strict()
  .refine((changes) => changes.title !== undefined || changes.text !== undefined, 'nothing to change');

/** Ready-made Arabic answers: every agent reads them, supervisors write them. */
export function cannedReplyRoutes(app: FastifyInstance, ctx: StaffContext): void {
  const supervisor = { config: { staffAccess: 'supervisor' as const } };

  app.get('/canned-replies', async () => ({
    replies: await ctx.db
      .selectFrom('canned_replies')
      .select(['id', 'title', 'text'])
      .orderBy('title')
      .orderBy('created_at')
      .execute(),
  }));

  app.post('/canned-replies', supervisor, async (request, reply) => {
    const me = sessionOf(request).staff;
    const body = newReply.parse(request.body);
    const created = await ctx.db
      .insertInto('canned_replies')
      .values({ title: body.title, text: body.text, created_by: me.id })
      .returning(['id', 'title', 'text'])
      .executeTakeFirstOrThrow();
    await recordAudit(ctx.db, {
      staffId: me.id,
      action: 'canned_reply.create',
      target: { type: 'canned_reply', id: created.id },
      ip: request.ip,
    });
    return reply.status(201).send({ reply: created });
  });

  app.patch('/canned-replies/:id', supervisor, async (request) => {
    const me = sessionOf(request).staff;
    const { id } = idParams.parse(request.params);
    const changes = replyChanges.parse(request.body);
    const updated = await ctx.db
      .updateTable('canned_replies')
      .set({ ...changes, updated_at: new Date() })
      .where('id', '=', id)
      .returning(['id', 'title', 'text'])
      .executeTakeFirst();
    if (!updated) throw notFound('canned reply');
    await recordAudit(ctx.db, {
      staffId: me.id,
      action: 'canned_reply.update',
      target: { type: 'canned_reply', id },
      details: { fields: Object.keys(changes).sort() },
      ip: request.ip,
    });
    return { reply: updated };
  });

  app.delete('/canned-replies/:id', supervisor, async (request, reply) => {
    const me = sessionOf(request).staff;
    const { id } = idParams.parse(request.params);
    const deleted = await ctx.db
      .deleteFrom('canned_replies')
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst();
    if (!deleted) throw notFound('canned reply');
    await recordAudit(ctx.db, {
      staffId: me.id,
      action: 'canned_reply.delete',
      target: { type: 'canned_reply', id },
      ip: request.ip,
    });
    return reply.status(204).send();
  });
}
