import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type Bot, createBot } from '../../src/app.js';
import type { ChannelAdapter, OutboundMessage } from '../../src/channels/types.js';
import { loadConfig } from '../../src/config.js';
import type { DatabaseHandle } from '../../src/storage/database.js';
import { silentLogger } from './bot.js';
import { openTestDatabase, type TestDatabase } from './databases.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A channel stand-in that records what the outbound queue delivers, with the time. */
export class RecordingChannel implements ChannelAdapter {
  readonly channel = 'telegram' as const;
  readonly capabilities = { buttons: true, maxButtons: 10, maxTextLength: 4096 };
  readonly delivered: Array<OutboundMessage & { at: number }> = [];
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(message: OutboundMessage): Promise<void> {
    this.delivered.push({ ...message, at: Date.now() });
  }
  to(user: string) {
    return this.delivered.filter((message) => message.externalUserId === user);
  }
}

/** A fresh BullMQ key prefix: a test's queues see no other test's jobs. */
export const newQueuePrefix = () => `test-${randomBytes(4).toString('hex')}`;

/**
 * A bot with its queues on the real Redis (a prefix of its own unless given another's: a
 * restart), delivering to `channel`, with time compressed through `env`.
 */
export async function startFollowUpBot(options: {
  database: DatabaseHandle;
  channel: ChannelAdapter;
  env?: Record<string, string>;
  prefix?: string;
}): Promise<Bot> {
  const bot = await createBot({
    config: loadConfig({ LOG_LEVEL: 'silent', ...options.env }),
    logger: silentLogger,
    database: options.database,
    jobs: { redisUrl: TEST_REDIS_URL, prefix: options.prefix ?? newQueuePrefix() },
    sweepIntervalMs: 500,
  });
  bot.jobs?.outbound.register(options.channel);
  await bot.jobs?.start();
  return bot;
}

/**
 * A follow-up test file's life cycle, registered as its hooks: one PostgreSQL database for the
 * file, and the bots a test starts on it (`start`) closed after the test — bots share the
 * database, so one left running would deliver the next test's messages.
 */
export function useFollowUpBots(env: Record<string, string> = {}) {
  let database: TestDatabase | undefined;
  const bots: Bot[] = [];
  beforeAll(async () => {
    database = await openTestDatabase('postgres');
  });
  afterEach(async () => {
    for (const bot of bots.splice(0)) await bot.close();
  });
  afterAll(async () => {
    await database?.drop();
  });
  const opened = (): TestDatabase => {
    if (!database) throw new Error('the database opens in beforeAll');
    return database;
  };
  return {
    get database(): TestDatabase {
      return opened();
    },
    /** A bot on the file's database with its own queues, unless given another's `prefix` (a restart). */
    async start(channel: ChannelAdapter, prefix?: string): Promise<Bot> {
      const bot = await startFollowUpBot({
        database: opened().handle,
        channel,
        env,
        ...(prefix ? { prefix } : {}),
      });
      bots.push(bot);
      return bot;
    },
    /** Closes a bot now (a worker that dies mid-test). */
    async stop(bot: Bot): Promise<void> {
      bots.splice(bots.indexOf(bot), 1);
      await bot.close();
    },
  };
}

/** A Telegram message from `user`, through the inbox. */
export const sayOnTelegram = (bot: Bot, user: string, text: string) =>
  bot.inbox.receive({ channel: 'telegram', externalUserId: user, externalMessageId: randomUUID(), text });

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value. */
export async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(50);
  }
}
