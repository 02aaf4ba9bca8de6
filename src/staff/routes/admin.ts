import type { FastifyInstance } from 'fastify';
import type { StaffContext } from '../context.js';

/** The WhatsApp login state and QR code (admins scan it with the association's phone). */
export function adminRoutes(app: FastifyInstance, ctx: StaffContext): void {
  app.get('/whatsapp', { config: { staffAccess: 'admin' } }, async () =>
    ctx.whatsappStatus ? ctx.whatsappStatus() : { state: 'off', reason: 'WHATSAPP_ENABLED is not true' },
  );
}
