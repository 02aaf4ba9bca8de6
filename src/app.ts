import type { Config } from './config.js';
import { loadFlows } from './engine/flow-loader.js';
import { MessageCatalog } from './engine/i18n.js';
import { IntentMatcher } from './engine/matcher.js';
import { ConversationEngine } from './engine/runtime.js';
import { Inbox } from './inbox/inbox.js';
import type { Logger } from './logger.js';
import { type DatabaseHandle, openDatabase } from './storage/database.js';
import type { ChannelName } from './storage/schema.js';

export interface Bot {
  config: Config;
  database: DatabaseHandle;
  engine: ConversationEngine;
  catalog: MessageCatalog;
  inbox: Inbox;
  close(): Promise<void>;
}

export interface CreateBotOptions {
  config: Config;
  logger: Logger;
  /** Override the PGlite folder (the simulator uses `memory://`). */
  dataDir?: string;
  /** PostgreSQL schema to work in (tests). */
  schema?: string;
  inlineDelivery?: ReadonlySet<ChannelName>;
  /** An already open database (tests); the bot then leaves closing it to the caller. */
  database?: DatabaseHandle;
}

/** Builds the engine and its storage from configuration: flows, locales, database, inbox. */
export async function createBot(options: CreateBotOptions): Promise<Bot> {
  const { config, logger } = options;
  const [flows, catalog] = await Promise.all([
    loadFlows(config.FLOWS_DIR),
    MessageCatalog.load(config.LOCALES_DIR),
  ]);
  const engine = new ConversationEngine({
    flows,
    catalog,
    matcher: new IntentMatcher(flows),
    handoffAckIntervalMs: config.HANDOFF_ACK_INTERVAL,
    globals: {
      has_contact_details: config.CONTACT_DETAILS ? 'yes' : 'no',
      contact_details: config.CONTACT_DETAILS ?? '',
    },
  });
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: options.dataDir ?? config.DATA_DIR,
      ...(options.schema ? { schema: options.schema } : {}),
    }));
  const inbox = new Inbox({
    db: database.db,
    engine,
    catalog,
    logger,
    throttle: { maxFailures: config.LOOKUP_MAX_FAILURES, blockMs: config.LOOKUP_BLOCK },
    defaultLocale: config.DEFAULT_LOCALE,
    inlineDelivery: options.inlineDelivery ?? new Set<ChannelName>(['web']),
  });
  const close = options.database ? async () => undefined : () => database.close();
  return { config, database, engine, catalog, inbox, close };
}
