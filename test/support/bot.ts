import { type Bot, createBot } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { Inbox } from '../../src/inbox/inbox.js';
import { createLogger } from '../../src/logger.js';
import type { DatabaseKind } from '../../src/storage/database.js';
import { openTestDatabase } from './databases.js';

export const silentLogger = createLogger('silent');

export interface TestBot extends Bot {
  /** Closes the bot and drops its database. */
  drop(): Promise<void>;
}

/** A whole bot (flows, engine, inbox) on a database of its own. */
export async function createTestBot(kind: DatabaseKind, env: Record<string, string> = {}): Promise<TestBot> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env });
  const database = await openTestDatabase(kind);
  const bot = await createBot({ config, logger: silentLogger, database: database.handle });
  return { ...bot, drop: () => database.drop() };
}

/**
 * An inbox of its own on the bot's engine and database (or on `db`, e.g. with a plugin), as a
 * second process would have it: nothing remembered from the bot's own inbox.
 */
export function anotherInbox(bot: Bot, db = bot.database.db): Inbox {
  return new Inbox({
    db,
    engine: bot.engine,
    catalog: bot.catalog,
    logger: silentLogger,
    throttle: { maxFailures: 3, blockMs: 60_000 },
    defaultLocale: 'ar',
    inlineDelivery: new Set(['web']),
    followUps: bot.policy,
  });
}
