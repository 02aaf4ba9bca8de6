import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bot } from '../../src/app.js';
import { ChannelHealth } from '../../src/channels/health.js';
import { ChannelSendError } from '../../src/channels/send-error.js';
import type { OutboundMessage } from '../../src/channels/types.js';
import { buildServer } from '../../src/http/server.js';
import { createTestBot, silentLogger } from '../support/bot.js';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { RecordingChannel, sayOnTelegram, startFollowUpBot, until } from '../support/follow-up-bots.js';

const TOKEN = 'm'.repeat(32);

/** One sample of the Prometheus text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseSamples(body: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of body.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels` (undefined if none). */
function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

/** Telegram stand-in whose first send fails as a network error would: the dispatcher retries it. */
class FlakyTelegram extends RecordingChannel {
  private failuresLeft = 1;
  override async send(message: OutboundMessage): Promise<void> {
    if (this.failuresLeft-- > 0) throw new ChannelSendError('transient', 'socket hang up');
    await super.send(message);
  }
}

for (const kind of DIALECTS) {
  describe(`GET /metrics (${kind})`, { timeout: 60_000 }, () => {
    let database: TestDatabase;
    let bot: Bot;
    let app: FastifyInstance;
    const telegram = new FlakyTelegram();
    const health = new ChannelHealth();

    beforeAll(async () => {
      database = await openTestDatabase(kind);
      bot = await startFollowUpBot({ database: database.handle, channel: telegram });
      health.set('web', 'up');
      health.set('telegram', 'up');
      health.set('whatsapp', 'down', 'no WhatsApp session');
      app = await buildServer({ bot, logger: silentLogger, health, metricsToken: TOKEN });
    });

    afterAll(async () => {
      await app?.close();
      await bot?.close();
      await database?.drop();
    });

    const chat = (visitorId: string, messageId: string, text: string) =>
      app.inject({ method: 'POST', url: '/api/chat/messages', payload: { visitorId, messageId, text } });
    const scrape = (authorization?: string) =>
      app.inject({
        method: 'GET',
        url: '/metrics',
        ...(authorization ? { headers: { authorization } } : {}),
      });

    it('is refused without the bearer token, and with a wrong one', async () => {
      expect((await scrape()).statusCode).toBe(401);
      expect((await scrape(`Bearer ${'x'.repeat(32)}`)).statusCode).toBe(401);
    });

    it('counts turns, duplicates, replies and send attempts, and reads conversations, queues and channels', async () => {
      const visitor = randomUUID();
      const greeting = randomUUID();
      expect((await chat(visitor, greeting, 'السلام عليكم')).statusCode).toBe(200);
      expect((await chat(visitor, greeting, 'السلام عليكم')).statusCode).toBe(200); // redelivered
      expect((await chat(visitor, randomUUID(), 'أبي أكلم موظف')).statusCode).toBe(200);
      const onTelegram = await sayOnTelegram(bot, 'tg-metrics', 'مرحبا');
      // Delivered, and recorded as such (the record follows the channel's answer).
      await until(async () => {
        const pending = await bot.database.db
          .selectFrom('messages')
          .select('id')
          .where('conversation_id', '=', onTelegram.conversationId)
          .where('delivery_status', '=', 'pending')
          .execute();
        return pending.length === 0 && telegram.to('tg-metrics').length > 0 ? true : undefined;
      });

      const response = await scrape(`Bearer ${TOKEN}`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/plain');
      expect(response.headers['cache-control']).toBe('no-store');
      const samples = parseSamples(response.body);
      const inbound = 'aiou_inbound_messages_total';
      expect(sampleValue(samples, inbound, { channel: 'web', outcome: 'handled' })).toBe(2);
      expect(sampleValue(samples, inbound, { channel: 'web', outcome: 'duplicate' })).toBe(1);
      expect(sampleValue(samples, inbound, { channel: 'telegram', outcome: 'handled' })).toBe(1);
      expect(sampleValue(samples, 'aiou_turn_duration_seconds_count', { channel: 'web' })).toBe(2);
      expect(sampleValue(samples, 'aiou_bot_replies_total', { channel: 'telegram' })).toBe(
        onTelegram.replies.length,
      );
      const attempts = 'aiou_outbound_send_attempts_total';
      expect(sampleValue(samples, attempts, { channel: 'telegram', outcome: 'transient' })).toBe(1);
      expect(sampleValue(samples, attempts, { channel: 'telegram', outcome: 'sent' })).toBe(
        onTelegram.replies.length,
      );

      // Read from the database at scrape time: one web visitor waiting for staff, one on Telegram with the bot.
      expect(sampleValue(samples, 'aiou_open_conversations', { mode: 'waiting' })).toBe(1);
      expect(sampleValue(samples, 'aiou_open_conversations', { mode: 'bot' })).toBe(1);
      expect(sampleValue(samples, 'aiou_open_conversations', { mode: 'staff' })).toBe(0);
      expect(sampleValue(samples, 'aiou_handoffs_over_sla')).toBe(0);
      expect(sampleValue(samples, 'aiou_outbound_pending_messages', { channel: 'telegram' })).toBeUndefined();
      const queues = samples.filter((sample) => sample.name === 'aiou_queue_jobs');
      expect(new Set(queues.map((sample) => sample.labels.state))).toEqual(
        new Set(['waiting', 'active', 'delayed', 'failed']),
      );
      expect(new Set(queues.map((sample) => sample.labels.queue)).size).toBe(2);
      expect(sampleValue(samples, 'aiou_channel_up', { channel: 'telegram' })).toBe(1);
      expect(sampleValue(samples, 'aiou_channel_up', { channel: 'whatsapp' })).toBe(0);
      expect(sampleValue(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
      // Counts only: nothing the beneficiaries wrote, and no identifiers.
      expect(response.body).not.toContain('السلام');
      expect(response.body).not.toContain(visitor);
      expect(response.body).not.toContain('tg-metrics');
    });

    it('reports replies waiting for a channel that is down, with the age of the oldest', async () => {
      // No WhatsApp adapter runs in this process (the channel is off or down): its replies wait.
      const stuck = await bot.inbox.receive({
        channel: 'whatsapp',
        externalUserId: '966500000001@c.us',
        externalMessageId: randomUUID(),
        text: 'مرحبا',
      });
      expect(stuck.pendingDelivery).toBe(true);
      const samples = parseSamples((await scrape(`Bearer ${TOKEN}`)).body);
      expect(sampleValue(samples, 'aiou_outbound_pending_messages', { channel: 'whatsapp' })).toBe(
        stuck.replies.length,
      );
      expect(
        sampleValue(samples, 'aiou_outbound_oldest_pending_seconds', { channel: 'whatsapp' }),
      ).toBeGreaterThanOrEqual(0);
    });
  });
}

describe('GET /metrics without METRICS_TOKEN, and with the database gone', () => {
  const kind = DIALECTS[0] ?? 'pglite';

  it('does not exist without the token', async () => {
    const bot = await createTestBot(kind);
    const app = await buildServer({ bot, logger: silentLogger });
    try {
      expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    } finally {
      await app.close();
      await bot.drop();
    }
  });

  it('answers 503 rather than a page of zeros when the database cannot be read', async () => {
    const bot = await createTestBot(kind);
    const app = await buildServer({ bot, logger: silentLogger, metricsToken: TOKEN });
    try {
      await bot.drop();
      const response = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(response.statusCode).toBe(503);
      // A message that cannot even be stored is counted as failed (the channel will redeliver it).
      await expect(
        bot.inbox.receive({
          channel: 'telegram',
          externalUserId: 'tg-lost',
          externalMessageId: 'x1',
          text: 'مرحبا',
        }),
      ).rejects.toThrow();
      expect(await bot.metrics.registry.getSingleMetricAsString('aiou_inbound_messages_total')).toMatch(
        /^aiou_inbound_messages_total\{channel="telegram",outcome="failed"\} 1$/m,
      );
    } finally {
      await app.close();
    }
  });
});
