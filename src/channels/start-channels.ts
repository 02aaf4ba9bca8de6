import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { MessageCatalog } from '../engine/i18n.js';
import type { Logger } from '../logger.js';
import { safeError } from '../logger.js';
import type { OutboundQueue } from '../outbound/outbound-queue.js';
import { withSendRate } from '../outbound/send-rate.js';
import type { ChannelHealth } from './health.js';
import { createTelegramAdapter } from './telegram/index.js';
import type { ChannelAdapter, InboundHandler } from './types.js';
import { createWhatsAppAdapter, createWhatsAppClient } from './whatsapp/index.js';

export interface ChannelsOptions {
  config: Config;
  logger: Logger;
  health: ChannelHealth;
  catalog: MessageCatalog;
  /** Outbound delivery: adapters are registered with it once started. */
  outbound: Pick<OutboundQueue, 'register' | 'sweep'>;
  onMessage: InboundHandler;
  /** The HTTP server, for Telegram's webhook route (registered before it listens). */
  app: FastifyInstance;
}

export interface RunningChannels {
  whatsappStatus?: () => { state: string; qr?: string; reason?: string };
  /** Starts receiving on every enabled channel; one failing never stops the others. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Creates the channels the configuration enables and says why the others are off. The web chat
 * is always on (it is part of the HTTP server). Call before the server listens.
 */
export function createChannels(options: ChannelsOptions): RunningChannels {
  const { config, logger, health } = options;
  const adapters: ChannelAdapter[] = [];
  let whatsappStatus: RunningChannels['whatsappStatus'];

  health.set('web', 'up');
  if (config.TELEGRAM_BOT_TOKEN) {
    const webhook = config.TELEGRAM_WEBHOOK_URL
      ? { url: config.TELEGRAM_WEBHOOK_URL, secret: config.TELEGRAM_WEBHOOK_SECRET, app: options.app }
      : undefined;
    adapters.push(
      withSendRate(
        createTelegramAdapter({
          token: config.TELEGRAM_BOT_TOKEN,
          apiRoot: config.TELEGRAM_API_ROOT,
          ...(webhook ? { webhook } : {}),
          logger: logger.child({ channel: 'telegram' }),
          health,
          catalog: options.catalog,
        }),
        config.TELEGRAM_MAX_PER_SECOND,
      ),
    );
  } else {
    health.set('telegram', 'off', 'TELEGRAM_BOT_TOKEN is not set');
  }

  if (config.WHATSAPP_ENABLED) {
    const adapter = createWhatsAppAdapter({
      createClient: () =>
        createWhatsAppClient({ dataDir: config.DATA_DIR, chromiumPath: config.WHATSAPP_CHROMIUM_PATH }),
      chatIntervalMs: Math.max(1000, config.WHATSAPP_CHAT_INTERVAL),
      maxPerMinute: config.WHATSAPP_MAX_PER_MINUTE,
      logger: logger.child({ channel: 'whatsapp' }),
      health,
      catalog: options.catalog,
      // Replies that waited while WhatsApp was down go out as soon as it is back.
      onReady: () => void options.outbound.sweep().catch(() => undefined),
    });
    whatsappStatus = () => adapter.status();
    adapters.push(adapter);
  } else {
    health.set('whatsapp', 'off', 'WHATSAPP_ENABLED is not true');
  }

  return {
    ...(whatsappStatus ? { whatsappStatus } : {}),
    async start() {
      for (const [channel, status] of Object.entries(health.snapshot())) {
        logger.info(
          { channel, state: status.state, ...(status.reason ? { reason: status.reason } : {}) },
          `channel ${channel}: ${status.state}`,
        );
      }
      await Promise.all(
        adapters.map(async (adapter) => {
          try {
            await adapter.start(options.onMessage);
            options.outbound.register(adapter);
            logger.info({ channel: adapter.channel }, `channel ${adapter.channel}: started`);
          } catch (error) {
            const reason = safeError(error).message;
            if (health.get(adapter.channel)?.state !== 'down') health.set(adapter.channel, 'down', reason);
            logger.error(
              { channel: adapter.channel, reason },
              `channel ${adapter.channel} could not start; the other channels keep running`,
            );
          }
        }),
      );
      // Replies left undelivered by a previous process (a crash, a restart) go out now.
      await options.outbound.sweep();
    },
    async stop() {
      await Promise.all(adapters.map((adapter) => adapter.stop().catch(() => undefined)));
    },
  };
}
