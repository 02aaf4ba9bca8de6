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

  it('reports health with the database it uses', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.json()).toEqual({ status: 'ok', database: 'pglite' });
  });
});
