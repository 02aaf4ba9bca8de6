import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { sql } from 'kysely';
import { ZodError } from 'zod';
import type { Bot } from '../app.js';
import type { ChannelHealth } from '../channels/health.js';
import { PROJECT_ROOT } from '../config.js';
import { type Logger, safeError } from '../logger.js';
import { registerChannelGauge } from '../observability/state-gauges.js';
import { type StaffRouteOptions, staffRoutes } from '../staff/routes.js';
import { registerMetricsRoute } from './metrics-routes.js';
import { addSecurityHeaders } from './security-headers.js';
import { limitCounts } from './web-chat-limits.js';
import { MAX_MESSAGE_LENGTH, webChatRoutes } from './web-chat-routes.js';

export interface ServerOptions {
  bot: Bot;
  logger: Logger;
  /** Channel states for /healthz (web chat only when absent). */
  health?: ChannelHealth;
  /** The staff console: its API under /api/staff and its page under /staff/. Absent → no console. */
  staff?: StaffRouteOptions;
  /** TRUST_PROXY: the proxies whose forwarded address and protocol to believe (none by default). */
  trustProxy?: boolean | number | string[];
  /** METRICS_TOKEN: GET /metrics for a Prometheus scraper holding it; absent → no /metrics. */
  metricsToken?: string | undefined;
  /** Tests: a shorter window for the web chat's flood limits, and their own Redis key prefix. */
  webChatLimitOverrides?: { windowMs?: number; redisPrefix?: string };
}

/**
 * The HTTP server: the web chat page and its API, the staff console, /healthz and /metrics.
 * Channel webhooks (Telegram) register on it when their channel starts.
 */
export async function buildServer({
  bot,
  logger,
  health,
  staff,
  trustProxy = false,
  metricsToken,
  webChatLimitOverrides = {},
}: ServerOptions): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    // A hop count trusts that many proxies nearest the app (what proxy-addr does with a number).
    trustProxy:
      typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : trustProxy,
    loggerInstance: logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Room for the longest message plus JSON escaping of every character.
    bodyLimit: MAX_MESSAGE_LENGTH * 8,
    // Request URLs carry the visitor id (the key to a web conversation): not logged.
    logController: new LogController({ disableRequestLogging: true }),
  });
  addSecurityHeaders(app);

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ZodError) {
      const issue = error.issues[0];
      return reply.status(400).send({
        error: 'invalid_request',
        message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
      });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply.status(status).send({ error: 'invalid_request', message: (error as Error).message });
    }
    request.log.error({ err: safeError(error), url: request.routeOptions.url }, 'request failed');
    return reply.status(500).send({ error: 'internal_error' });
  });

  await app.register(fastifyStatic, { root: `${PROJECT_ROOT}src/http/public`, index: 'index.html' });
  await app.register(webChatRoutes, {
    inbox: bot.inbox,
    db: bot.database.db,
    limits: {
      perVisitorPerMinute: bot.config.WEB_CHAT_MAX_PER_MINUTE,
      perAddressPerMinute: bot.config.WEB_CHAT_MAX_PER_MINUTE_PER_IP,
      counts: limitCounts(bot.config.REDIS_URL, bot.database.kind, webChatLimitOverrides.redisPrefix),
      windowMs: webChatLimitOverrides.windowMs,
    },
    onLimited: (scope) => bot.metrics.webChatRefused(scope),
  });
  if (staff) {
    await app.register(staffRoutes, staff);
    // The console's page and script; decorateReply: false because the web chat's static
    // registration already decorated the reply.
    await app.register(fastifyStatic, {
      root: `${PROJECT_ROOT}src/staff/public`,
      prefix: '/staff/',
      index: 'index.html',
      decorateReply: false,
    });
    // The console's relative links need the trailing slash; typed without it, the address still works.
    app.get('/staff', (_request, reply) => reply.redirect('/staff/', 301));
  }

  if (health) registerChannelGauge(bot.metrics, health);
  registerMetricsRoute(app, { token: metricsToken, metrics: bot.metrics, logger });

  app.get('/healthz', async (_request, reply) => {
    try {
      await sql`select 1`.execute(bot.database.db);
      return {
        status: 'ok',
        database: bot.database.kind,
        ...(health ? { channels: health.snapshot() } : {}),
      };
    } catch (error) {
      logger.error({ err: safeError(error) }, 'health check: database unreachable');
      return reply.status(503).send({ status: 'unavailable' });
    }
  });

  return app;
}
