import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.js';
import { createTestBot, silentLogger, type TestBot } from '../support/bot.js';

describe('web chat HTTP API', () => {
  let bot: TestBot;
  let app: FastifyInstance;

  beforeAll(async () => {
    bot = await createTestBot('pglite');
    app = await buildServer({ bot, logger: silentLogger });
  });
  afterAll(async () => {
    await app.close();
    await bot.drop();
  });

  const visitorId = () => randomUUID();
  const send = (body: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/api/chat/messages', payload: body });

  it('serves the RTL Arabic chat page with a strict content security policy', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('dir="rtl"');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const script = await app.inject({ method: 'GET', url: '/chat.js' });
    expect(script.statusCode).toBe(200);
  });

  it('answers a message and returns the same replies when the browser retries the same message id', async () => {
    const visitor = visitorId();
    const body = { visitorId: visitor, messageId: randomUUID(), text: 'السلام عليكم' };
    const first = await send(body);
    expect(first.statusCode).toBe(200);
    const replies = first.json().replies as Array<{ text: string; choices: string[] }>;
    expect(replies.at(-1)?.choices).toContain('تقديم طلب دعم');
    const retry = await send(body);
    expect(retry.json()).toMatchObject({ duplicate: true, replies });
    const history = await app.inject({ method: 'GET', url: `/api/chat/history?visitorId=${visitor}` });
    const messages = history.json().messages as Array<{ direction: string; text: string }>;
    expect(messages.filter((m) => m.direction === 'in')).toHaveLength(1);
    expect(messages.map((m) => m.direction)).toEqual(['in', ...replies.map(() => 'out')]);
  });

  it('keeps conversations of different visitors apart', async () => {
    const a = visitorId();
    await send({ visitorId: a, messageId: randomUUID(), text: 'تقديم طلب دعم' });
    const b = await app.inject({ method: 'GET', url: `/api/chat/history?visitorId=${visitorId()}` });
    expect(b.json()).toEqual({ messages: [] });
  });

  it.each([
    [{ visitorId: 'short', messageId: randomUUID(), text: 'x' }, 'visitorId'],
    [{ visitorId: randomUUID(), messageId: randomUUID() }, 'text'],
    [{ visitorId: randomUUID(), messageId: randomUUID(), text: 'ا'.repeat(20_001) }, 'text'],
  ])('refuses a malformed request with a clear 400', async (body, field) => {
    const response = await send(body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_request' });
    expect(response.json().message).toContain(field);
  });

  it('accepts a 10,000-character message', async () => {
    const response = await send({
      visitorId: visitorId(),
      messageId: randomUUID(),
      text: 'ب'.repeat(10_000),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().replies.length).toBeGreaterThan(0);
  });

  describe('history polling (staff replies reach the page)', () => {
    interface HistoryMessage {
      id: string;
      direction: 'in' | 'out';
      sender: 'contact' | 'bot' | 'staff';
      text: string;
      at: string;
    }
    const history = async (visitor: string, after?: string) => {
      const query = new URLSearchParams({ visitorId: visitor, ...(after ? { after } : {}) });
      const response = await app.inject({ method: 'GET', url: `/api/chat/history?${query}` });
      expect(response.statusCode).toBe(200);
      return response.json().messages as HistoryMessage[];
    };
    const conversationOf = (visitor: string) =>
      bot.database.db
        .selectFrom('conversations')
        .innerJoin('channel_identities', 'channel_identities.id', 'conversations.identity_id')
        .select('conversations.id')
        .where('channel_identities.channel', '=', 'web')
        .where('channel_identities.external_id', '=', visitor)
        .executeTakeFirstOrThrow();
    const insertStaffMessage = (conversationId: string, text: string) =>
      bot.database.db
        .insertInto('messages')
        .values({
          conversation_id: conversationId,
          direction: 'out',
          sender: 'staff',
          channel: 'web',
          text,
          choices: '[]',
          delivery_status: 'pending',
          staff_id: 'staff-1',
        })
        .returning('id')
        .executeTakeFirstOrThrow();

    it('gives every message a stable id and its sender; the replies of a POST carry the same ids', async () => {
      const visitor = visitorId();
      const posted = await send({ visitorId: visitor, messageId: randomUUID(), text: 'السلام عليكم' });
      const replyIds = (posted.json().replies as Array<{ id: string }>).map((r) => r.id);
      expect(replyIds.length).toBeGreaterThan(0);
      const messages = await history(visitor);
      expect(messages.map((m) => m.sender)).toEqual(['contact', ...replyIds.map(() => 'bot')]);
      expect(messages.slice(1).map((m) => m.id)).toEqual(replyIds);
      expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
      expect((await history(visitor)).map((m) => m.id)).toEqual(messages.map((m) => m.id));
    });

    it('with `after` returns only newer messages, including a pending staff reply, and marks it sent', async () => {
      const visitor = visitorId();
      await send({ visitorId: visitor, messageId: randomUUID(), text: 'أبي أكلم موظف' });
      const before = await history(visitor);
      const last = before.at(-1) as HistoryMessage;
      await new Promise((resolve) => setTimeout(resolve, 5));
      const { id: conversationId } = await conversationOf(visitor);
      const staff = await insertStaffMessage(conversationId, 'مرحبًا، كيف أستطيع مساعدتكم؟');

      const newer = await history(visitor, last.at);
      expect(newer).toEqual([
        expect.objectContaining({
          id: staff.id,
          direction: 'out',
          sender: 'staff',
          text: 'مرحبًا، كيف أستطيع مساعدتكم؟',
        }),
      ]);
      const row = await bot.database.db
        .selectFrom('messages')
        .select(['delivery_status', 'sent_at'])
        .where('id', '=', staff.id)
        .executeTakeFirstOrThrow();
      expect(row.delivery_status).toBe('sent');
      expect(row.sent_at).toBeInstanceOf(Date);

      // Nothing newer than the staff reply; an earlier cursor returns the same ids again (the page de-duplicates).
      expect(await history(visitor, (newer[0] as HistoryMessage).at)).toEqual([]);
      const overlap = await history(visitor, new Date(Date.parse(last.at) - 60_000).toISOString());
      expect(overlap.map((m) => m.id)).toEqual([...before.map((m) => m.id), staff.id]);
    });

    it('marks a pending web message sent when the full history returns it, and leaves other channels alone', async () => {
      const visitor = visitorId();
      await send({ visitorId: visitor, messageId: randomUUID(), text: 'مرحبا' });
      const { id: conversationId } = await conversationOf(visitor);
      const staff = await insertStaffMessage(conversationId, 'رد من الموظف');
      const messages = await history(visitor);
      expect(messages.at(-1)).toMatchObject({ id: staff.id, sender: 'staff' });
      const row = await bot.database.db
        .selectFrom('messages')
        .select('delivery_status')
        .where('id', '=', staff.id)
        .executeTakeFirstOrThrow();
      expect(row.delivery_status).toBe('sent');
    });

    it('refuses an `after` that is not an ISO date-time', async () => {
      const response = await app.inject({
        method: 'GET',
        url: `/api/chat/history?visitorId=${visitorId()}&after=yesterday`,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ error: 'invalid_request' });
      expect(response.json().message).toContain('after');
    });

    it('returns nothing after a time for a visitor who never wrote', async () => {
      expect(await history(visitorId(), new Date(0).toISOString())).toEqual([]);
    });
  });

  it('reports health with the database it uses', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.json()).toEqual({ status: 'ok', database: 'pglite' });
  });
});
