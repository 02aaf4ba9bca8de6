/** Entry point: configuration, the bot, its queues and channels, the HTTP server, a clean shutdown. Wiring only. */
import { join } from 'node:path';
import { createBot } from './app.js';
import { ChannelHealth } from './channels/health.js';
import { createInboundHandler } from './channels/inbound-handler.js';
import { createChannels } from './channels/start-channels.js';
import { ConfigError, loadConfig } from './config.js';
import { registerAdminRoutes } from './http/admin-routes.js';
import { buildServer } from './http/server.js';
import { checkRedisEviction } from './jobs/redis-check.js';
import { createLogger, safeError } from './logger.js';
import { DataDirInUseError } from './storage/data-dir-lock.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  if (config.REDIS_URL) await checkRedisEviction(config.REDIS_URL, logger);
  const bot = await createBot({
    config,
    logger,
    jobs: {
      redisUrl: config.REDIS_URL,
      databaseUrl: config.DATABASE_URL,
      embeddedDataDir: join(config.DATA_DIR, 'jobs'),
    },
  });
  const jobs = bot.jobs;
  if (!jobs) throw new Error('the job queues did not open');
  logger.info(
    {
      database: bot.database.kind,
      location: bot.database.location,
      jobs: jobs.backend.kind,
      flows: bot.engine.flows.size,
    },
    'bot ready',
  );

  // Signals are handled from here on, even while the rest starts (WhatsApp's browser can take a
  // while): a stop closes whatever has started, and start-up goes no further.
  let server: Awaited<ReturnType<typeof buildServer>> | undefined;
  let channels: ReturnType<typeof createChannels> | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing work in flight');
    try {
      // Stop taking new work, let deliveries and follow-ups in flight finish while the channels
      // can still send, then close the channels, the queues and the database.
      await server?.close();
      await jobs.stop();
      await channels?.stop();
      await bot.close();
      logger.info('stopped cleanly');
      process.exit(0);
    } catch (error) {
      logger.error({ err: safeError(error) }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  // whatsapp-web.js leaves some internal promises unhandled (an un-awaited destroy, a reload
  // listener); log them instead of letting Node end the process and every other channel with it.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: safeError(reason) }, 'unhandled rejection (kept running)');
  });

  const health = new ChannelHealth();
  // The WhatsApp adapter is created after the server (its webhook-free start needs the server
  // first); the staff console reads its status through this late binding.
  let whatsappStatus: (() => { state: string; qr?: string; reason?: string }) | undefined;
  server = await buildServer({
    bot,
    logger,
    health,
    trustProxy: config.TRUST_PROXY,
    metricsToken: config.METRICS_TOKEN,
    staff: {
      db: bot.database.db,
      logger,
      control: bot.control,
      cookieSecure: config.STAFF_COOKIE_SECURE,
      queues: [jobs.outbound.queue, jobs.followUps.queue],
      whatsappStatus: () => whatsappStatus?.() ?? { state: 'off', reason: 'WHATSAPP_ENABLED is not true' },
    },
  });
  channels = createChannels({
    config,
    logger,
    health,
    catalog: bot.catalog,
    outbound: jobs.outbound,
    onMessage: createInboundHandler(bot.inbox),
    app: server,
  });
  whatsappStatus = channels.whatsappStatus;
  registerAdminRoutes(server, { token: config.ADMIN_TOKEN, whatsappStatus: channels.whatsappStatus });
  if (stopping) return;
  await jobs.start();
  if (stopping) return;
  await server.listen({ port: config.PORT, host: config.HOST });
  if (stopping) return;
  logger.info(`web chat on http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.PORT}/`);
  await channels.start();
}

main().catch((error: unknown) => {
  // Invalid configuration is one clear line; anything else is logged without personal data.
  if (error instanceof ConfigError || error instanceof DataDirInUseError) console.error(error.message);
  else console.error(JSON.stringify({ level: 'fatal', msg: 'failed to start', err: safeError(error) }));
  process.exit(1);
});
