import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

export interface AdminRoutesOptions {
  /** ADMIN_TOKEN; without it the admin endpoints do not exist. */
  token: string | undefined;
  whatsappStatus?: (() => { state: string; qr?: string; reason?: string }) | undefined;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Admin endpoints until the staff console (issue #5) takes them over: the WhatsApp login state
 * and QR code to scan. Bearer-token protected; absent when ADMIN_TOKEN is unset.
 */
export function registerAdminRoutes(app: FastifyInstance, options: AdminRoutesOptions): void {
  const { token } = options;
  if (!token) return;
  app.get('/api/admin/whatsapp', async (request, reply) => {
    const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    if (!sameToken(given, token)) return reply.status(401).send({ error: 'unauthorized' });
    reply.header('cache-control', 'no-store');
    return options.whatsappStatus
      ? options.whatsappStatus()
      : { state: 'off', reason: 'WHATSAPP_ENABLED is not true' };
  });
}
