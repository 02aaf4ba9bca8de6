/** Entry point: configuration, the bot, its channels, the HTTP server, a clean shutdown. Wiring only. */
import { createBot } from './app.js';
import { ChannelHealth } from './channels/health.js';
import { createInboundHandler } from './channels/inbound-handler.js';
import { createChannels } from './channels/start-channels.js';
import { ConfigError, loadConfig } from './config.js';
import { registerAdminRoutes } from './http/admin-routes.js';
import { buildServer } from './http/server.js';
import { createLogger, safeError } from './logger.js';
import { OutboundDispatcher } from './outbound/dispatcher.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const bot = await createBot({ config, logger });
  logger.info(
    { database: bot.database.kind, location: bot.database.location, flows: bot.engine.flows.size },
    'bot ready',
  );

  const health = new ChannelHealth();
  const dispatcher = new OutboundDispatcher({
    db: bot.database.db,
    logger: logger.child({ component: 'outbound' }),
  });
  const server = await buildServer({ bot, logger, health });
  const channels = createChannels({
    config,
    logger,
    health,
    catalog: bot.catalog,
    dispatcher,
    onMessage: createInboundHandler(bot.inbox, dispatcher),
    app: server,
  });
  registerAdminRoutes(server, { token: config.ADMIN_TOKEN, whatsappStatus: channels.whatsappStatus });
  await server.listen({ port: config.PORT, host: config.HOST });
  logger.info(`web chat on http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.PORT}/`);
  await channels.start();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await server.close();
    await channels.stop();
    await bot.close();
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  // whatsapp-web.js leaves some internal promises unhandled (an un-awaited destroy, a reload
  // listener); log them instead of letting Node end the process and every other channel with it.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: safeError(reason) }, 'unhandled rejection (kept running)');
  });
}

main().catch((error: unknown) => {
  // Invalid configuration is one clear line; anything else is logged without personal data.
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(JSON.stringify({ level: 'fatal', msg: 'failed to start', err: safeError(error) }));
  process.exit(1);
});
