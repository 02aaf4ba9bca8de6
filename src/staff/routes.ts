import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/schema.js';
import { DEFAULT_LOGIN_LIMITS, type LoginLimits, LoginThrottle } from './auth/login-throttle.js';
import type { StaffContext, WhatsAppStatus } from './context.js';
import { controlErrorAnswer, type StaffControl } from './control.js';
import { InboxEvents } from './events/inbox-events.js';
import { setStaffErrorHandler } from './http/error-handler.js';
import { addStaffGuard } from './http/guard.js';
import { accountRoutes } from './routes/accounts.js';
import { adminRoutes } from './routes/admin.js';
import { authRoutes } from './routes/auth.js';
import { cannedReplyRoutes } from './routes/canned-replies.js';
import { contactRoutes } from './routes/contacts.js';
import { conversationRoutes } from './routes/conversations.js';
import { eventRoutes } from './routes/events.js';
import { queueBoardRoutes } from './routes/queues.js';
import { reportRoutes } from './routes/reports.js';
import { requestRoutes } from './routes/requests.js';
import { staffDb } from './storage/schema.js';

export interface StaffRouteOptions {
  db: Kysely<Database>;
  logger: Logger;
  control: StaffControl;
  whatsappStatus?: WhatsAppStatus | undefined;
  /** STAFF_COOKIE_SECURE: mark the session cookie Secure even on plain-http requests (TLS at a proxy). */
  cookieSecure: boolean;
  /** Login rate limits (defaults: 5 failures per email, 20 per address, in 15 minutes). */
  loginLimits?: LoginLimits;
  /** How often the live inbox looks for changes (default 1 s). */
  eventsIntervalMs?: number;
  /** The job queues to show admins in Bull Board at /staff/queues; no board without them. */
  queues?: readonly Queue[] | undefined;
}

export const STAFF_API_PREFIX = '/api/staff';

/**
 * The staff console's JSON API under /api/staff (docs/staff-api.md), and Bull Board under
 * /staff/queues when given the queues. Register it with
 * `app.register(staffRoutes, options)`; everything in it — cookie parsing, the session/CSRF/role
 * guard, the error format — stays inside this plugin and does not touch the web chat's routes.
 */
export async function staffRoutes(app: FastifyInstance, options: StaffRouteOptions): Promise<void> {
  const db = staffDb(options.db);
  const logger = options.logger.child({ component: 'staff' });
  const events = new InboxEvents({
    db,
    logger,
    ...(options.eventsIntervalMs ? { intervalMs: options.eventsIntervalMs } : {}),
  });
  const ctx: StaffContext = {
    db,
    logger,
    control: options.control,
    events,
    throttle: new LoginThrottle(db, options.loginLimits ?? DEFAULT_LOGIN_LIMITS),
    cookieSecure: options.cookieSecure,
    whatsappStatus: options.whatsappStatus,
  };

  await app.register(
    async (api) => {
      await addStaffGuard(api, { db });
      setStaffErrorHandler(api, logger, [controlErrorAnswer]);
      // A route of its own, not a not-found handler: the web chat's static files claim `/*` at the root.
      api.all('/*', { config: { staffAccess: 'public' } }, async (request, reply) =>
        reply.status(404).send({
          error: 'not_found',
          message: `no such route: ${request.method} ${request.url.split('?')[0]}`,
        }),
      );
      // Answers carry personal data and session-bound tokens: never cached.
      api.addHook('onSend', async (_request, reply, payload) => {
        reply.header('cache-control', 'no-store');
        return payload;
      });
      authRoutes(api, ctx);
      accountRoutes(api, ctx);
      conversationRoutes(api, ctx);
      cannedReplyRoutes(api, ctx);
      requestRoutes(api, ctx);
      contactRoutes(api, ctx);
      reportRoutes(api, ctx);
      adminRoutes(api, ctx);
      const streams = eventRoutes(api, ctx);
      // Open event streams would hold the server's close until they time out: end them first.
      api.addHook('preClose', async () => {
        events.close();
        streams.endAll();
      });
    },
    { prefix: STAFF_API_PREFIX },
  );
  if (options.queues && options.queues.length > 0) {
    await queueBoardRoutes(app, { db, queues: options.queues });
  }
}
