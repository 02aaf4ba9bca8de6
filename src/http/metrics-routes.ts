import type { FastifyInstance } from 'fastify';
import { type Logger, safeError } from '../logger.js';
import type { BotMetrics } from '../observability/metrics.js';
import { hasBearerToken } from './bearer.js';

export interface MetricsRouteOptions {
  /** METRICS_TOKEN; without it there is no /metrics (counts of beneficiaries are not public). */
  token: string | undefined;
  metrics: BotMetrics;
  logger: Logger;
}

/** `GET /metrics`: Prometheus text format, for a scraper holding the bearer token. */
export function registerMetricsRoute(app: FastifyInstance, options: MetricsRouteOptions): void {
  const { token, metrics } = options;
  if (!token) return;
  app.get('/metrics', async (request, reply) => {
    if (!hasBearerToken(request, token)) return reply.status(401).send({ error: 'unauthorized' });
    try {
      const { contentType, body } = await metrics.render();
      return reply.header('cache-control', 'no-store').type(contentType).send(body);
    } catch (error) {
      // A scrape that cannot read the database is an outage to report, not a page of zeros.
      options.logger.error({ err: safeError(error) }, 'metrics: could not read the current state');
      return reply.status(503).send({ error: 'unavailable' });
    }
  });
}
