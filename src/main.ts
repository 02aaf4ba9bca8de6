/** Entry point: configuration, the bot, the HTTP server, and a clean shutdown. Wiring only. */
import { createBot } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { buildServer } from './http/server.js';
import { createLogger, safeError } from './logger.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const bot = await createBot({ config, logger });
  logger.info(
    { database: bot.database.kind, location: bot.database.location, flows: bot.engine.flows.size },
    'bot ready',
  );
  const server = await buildServer({ bot, logger });
  await server.listen({ port: config.PORT, host: config.HOST });
  logger.info(`web chat on http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.PORT}/`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await server.close();
    await bot.close();
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  // Invalid configuration is one clear line; anything else is logged without personal data.
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(JSON.stringify({ level: 'fatal', msg: 'failed to start', err: safeError(error) }));
  process.exit(1);
});
