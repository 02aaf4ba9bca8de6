import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.js';
import { createTestBot, silentLogger, type TestBot } from '../support/bot.js';
import { storedInboundTexts } from '../support/conversations.js';

/**
 * The public web chat endpoint writes a row per message, so a script must not fill the database:
 * past the per-visitor or per-address limit a message is refused with 429 and a retry-after, and
 * is not stored (the page keeps it and sends it again).
 */
describe('web chat flood limits', () => {
  let bot: TestBot;
  let app: FastifyInstance;
  const TOKEN = 't'.repeat(32);

  beforeAll(async () => {
    bot = await createTestBot('pglite', {
      WEB_CHAT_MAX_PER_MINUTE: '3',
      WEB_CHAT_MAX_PER_MINUTE_PER_IP: '5',
    });
    app = await buildServer({ bot, logger: silentLogger, metricsToken: TOKEN });
  });
  afterAll(async () => {
    await app.close();
    await bot.drop();
  });

  const send = (visitorId: string, text: string, remoteAddress = '203.0.113.7') =>
    app.inject({
      method: 'POST',
      url: '/api/chat/messages',
      payload: { visitorId, messageId: randomUUID(), text },
      remoteAddress,
    });

  const storedInbound = (visitorId: string) => storedInboundTexts(bot.database.db, visitorId);

  it('refuses a visitor past their limit, with a retry-after, and stores nothing of the refused message', async () => {
    const visitor = randomUUID();
    for (const text of ['السلام عليكم', '١', 'القائمة'])
      expect((await send(visitor, text)).statusCode).toBe(200);
    const refused = await send(visitor, 'رسالة رابعة');
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: 'rate_limited' });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await storedInbound(visitor)).toEqual(['السلام عليكم', '١', 'القائمة']);

    // Another address, another visitor: unaffected.
    expect((await send(randomUUID(), 'مرحبا', '198.51.100.9')).statusCode).toBe(200);
  });

  it('refuses new visitors from one address past the address limit', async () => {
    // The first test used 4 of this address's 5 messages a minute (the refused one counts too).
    expect((await send(randomUUID(), 'مرحبا')).statusCode).toBe(200);
    const flood = randomUUID();
    expect((await send(flood, 'مرحبا')).statusCode).toBe(429);
    expect(await storedInbound(flood)).toEqual([]);

    const metrics = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(metrics.body).toMatch(/^aiou_web_chat_refused_total\{scope="visitor"\} 1$/m);
    expect(metrics.body).toMatch(/^aiou_web_chat_refused_total\{scope="address"\} 1$/m);
  });

  it('rejects a bad limit at start with one line naming the variable', async () => {
    const { loadConfig } = await import('../../src/config.js');
    expect(() => loadConfig({ WEB_CHAT_MAX_PER_MINUTE: '0' })).toThrow(/WEB_CHAT_MAX_PER_MINUTE/);
    expect(() => loadConfig({ WEB_CHAT_MAX_PER_MINUTE_PER_IP: 'many' })).toThrow(
      /WEB_CHAT_MAX_PER_MINUTE_PER_IP/,
    );
  });
});
