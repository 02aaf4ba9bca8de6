import type { FastifyInstance } from 'fastify';
import { hasBearerToken } from './bearer.js';

export interface AdminRoutesOptions {
  /** ADMIN_TOKEN; without it the admin endpoints do not exist. */
  token: string | undefined;
  whatsappStatus?: (() => { state: string; qr?: string; reason?: string }) | undefined;
}

/**
 * Admin endpoints until the staff console (issue #5) takes them over: the WhatsApp login state
 * and QR code to scan. Bearer-token protected; absent when ADMIN_TOKEN is unset.
 */
export function registerAdminRoutes(app: FastifyInstance, options: AdminRoutesOptions): void {
  const { token } = options;
  if (!token) return;
  app.get('/api/admin/whatsapp', async (request, reply) => {
    if (!hasBearerToken(request, token)) return reply.status(401).send({ error: 'unauthorized' });
    reply.header('cache-control', 'no-store');
    return options.whatsappStatus
      ? options.whatsappStatus()
      : { state: 'off', reason: 'WHATSAPP_ENABLED is not true' };
  });
}
