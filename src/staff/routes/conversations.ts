import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { recordAudit } from '../audit.js';
import type { StaffContext } from '../context.js';
import { assertMayAct, takeOver, transfer } from '../conversations/assignment.js';
import { notFound } from '../errors.js';
import { sessionOf } from '../http/guard.js';
import { conversationSummary, conversationView } from '../queries/conversation-view.js';
import { INBOX_VIEWS, listInbox } from '../queries/inbox.js';
import { idParams } from '../validation.js';

/** Longest staff reply: channels split long texts, but a reply is a message, not a document. */
export const MAX_REPLY_LENGTH = 4000;

const inboxQuery = z.object({ view: z.enum(INBOX_VIEWS).default('waiting') });
const replyBody = z.object({
  text: z
    .string()
    .max(MAX_REPLY_LENGTH, `a reply has at most ${MAX_REPLY_LENGTH} characters`)
    .refine((text) => text.trim() !== '', 'a reply cannot be empty'),
});
const transferBody = z.object({ staffId: z.guid('expected a staff id') });

/** The inbox, the conversation view and what staff do with a conversation. */
export function conversationRoutes(app: FastifyInstance, ctx: StaffContext): void {
  app.get('/conversations', async (request) => {
    const { view } = inboxQuery.parse(request.query);
    return { conversations: await listInbox(ctx.db, view, sessionOf(request).staff.id) };
  });

  app.get('/conversations/:id', async (request) => {
    const { id } = idParams.parse(request.params);
    const view = await conversationView(ctx.db, id);
    if (!view) throw notFound('conversation');
    return view;
  });

  app.post('/conversations/:id/takeover', async (request) => {
    const me = sessionOf(request).staff;
    const { id } = idParams.parse(request.params);
    const conversation = await takeOver(ctx.db, id, me.id);
    await recordAudit(ctx.db, {
      staffId: me.id,
      action: 'conversation.takeover',
      target: { type: 'conversation', id },
      ip: request.ip,
    });
    return { conversation };
  });

  app.post('/conversations/:id/reply', async (request) => {
    const me = sessionOf(request).staff;
    const { id } = idParams.parse(request.params);
    const { text } = replyBody.parse(request.body);
    const summary = await assertMayAct(ctx.db, id, me, 'reply');
    // A supervisor answering a beneficiary who waits for nobody in particular takes the
    // conversation: it leaves the waiting queue (and its SLA clock) and the bot stays silent.
    if (summary.mode === 'waiting' && !summary.assignedTo) {
      await takeOver(ctx.db, id, me.id);
      await recordAudit(ctx.db, {
        staffId: me.id,
        action: 'conversation.takeover',
        target: { type: 'conversation', id },
        details: { onReply: true },
        ip: request.ip,
      });
    }
    const message = await ctx.control.reply(id, me.id, text);
    // The audit row names the message; its text stays in the conversation, not in the log.
    await recordAudit(ctx.db, {
      staffId: me.id,
      action: 'conversation.reply',
      target: { type: 'conversation', id },
      details: { messageId: message.id },
      ip: request.ip,
    });
    return {
      message: { id: message.id, deliveryStatus: message.deliveryStatus, at: message.at.toISOString() },
    };
  });

  app.post('/conversations/:id/transfer', async (request) => {
    const me = sessionOf(request).staff;
    const { id } = idParams.parse(request.params);
    const { staffId } = transferBody.parse(request.body);
    const before = await conversationSummary(ctx.db, id);
    const conversation = await transfer(ctx.db, id, me, staffId);
    await recordAudit(ctx.db, {
      staffId: me.id,
      action: 'conversation.transfer',
      target: { type: 'conversation', id },
      details: { from: before?.assignedTo?.id ?? null, to: staffId },
      ip: request.ip,
    });
    return { conversation };
  });

  app.post('/conversations/:id/handback', async (request) => {
    const me = sessionOf(request).staff;
    const { id } = idParams.parse(request.params);
    await assertMayAct(ctx.db, id, me, 'handback');
    await ctx.control.handBack(id, me.id);
    await recordAudit(ctx.db, {
      staffId: me.id,
      action: 'conversation.handback',
      target: { type: 'conversation', id },
      ip: request.ip,
    });
    return { conversation: await conversationSummary(ctx.db, id) };
  });

  app.post('/conversations/:id/close', async (request) => {
    const me = sessionOf(request).staff;
    const { id } = idParams.parse(request.params);
    await assertMayAct(ctx.db, id, me, 'close');
    await ctx.control.close(id, me.id);
    await recordAudit(ctx.db, {
      staffId: me.id,
      action: 'conversation.close',
      target: { type: 'conversation', id },
      ip: request.ip,
    });
    return { conversation: await conversationSummary(ctx.db, id) };
  });
}
