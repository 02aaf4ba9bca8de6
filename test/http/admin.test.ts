import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerAdminRoutes } from '../../src/http/admin-routes.js';

describe('admin endpoints', () => {
  const token = 'a'.repeat(32);

  it('shows the WhatsApp login state and QR only with the admin token', async () => {
    const app = Fastify();
    registerAdminRoutes(app, {
      token,
      whatsappStatus: () => ({ state: 'starting', qr: 'QR-DATA', reason: 'waiting for QR scan' }),
    });
    const anonymous = await app.inject({ method: 'GET', url: '/api/admin/whatsapp' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.body).not.toContain('QR-DATA');
    const wrong = await app.inject({
      method: 'GET',
      url: '/api/admin/whatsapp',
      headers: { authorization: `Bearer ${'b'.repeat(32)}` },
    });
    expect(wrong.statusCode).toBe(401);
    const admin = await app.inject({
      method: 'GET',
      url: '/api/admin/whatsapp',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(admin.json()).toEqual({ state: 'starting', qr: 'QR-DATA', reason: 'waiting for QR scan' });
    expect(admin.headers['cache-control']).toBe('no-store');
    await app.close();
  });

  it('does not exist without ADMIN_TOKEN', async () => {
    const app = Fastify();
    registerAdminRoutes(app, { token: undefined, whatsappStatus: () => ({ state: 'up' }) });
    expect((await app.inject({ method: 'GET', url: '/api/admin/whatsapp' })).statusCode).toBe(404);
    await app.close();
  });
});
