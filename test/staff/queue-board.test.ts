import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.js';
import { silentLogger } from '../support/bot.js';
import { DIALECTS } from '../support/databases.js';
import { createStaff, createStaffTestApp, login, type Session, type StaffTestApp } from './support.js';

const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const kind = DIALECTS[0] ?? 'pglite';

describe('Bull Board at /staff/queues', () => {
  let t: StaffTestApp;
  let app: FastifyInstance;
  let queue: Queue;
  let admin: Session;
  let agent: Session;

  beforeAll(async () => {
    t = await createStaffTestApp(kind);
    queue = new Queue(`board-${randomBytes(4).toString('hex')}`, {
      connection: { url: TEST_REDIS_URL },
      prefix: `test-${randomBytes(4).toString('hex')}`,
    });
    app = await buildServer({
      bot: t.bot,
      logger: silentLogger,
      staff: {
        db: t.bot.database.db,
        logger: silentLogger,
        control: t.bot.control,
        cookieSecure: false,
        queues: [queue],
      },
    });
    admin = await login(app, await createStaff(t.db, 'admin'));
    agent = await login(app, await createStaff(t.db, 'agent'));
  });
  afterAll(async () => {
    await app.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await t.close();
  });

  it('is for signed-in admins only', async () => {
    const anonymous = await app.inject({ method: 'GET', url: '/staff/queues' });
    expect(anonymous.statusCode).toBe(401);
    const asAgent = await app.inject({
      method: 'GET',
      url: '/staff/queues',
      cookies: { staff_session: agent.cookie },
    });
    expect(asAgent.statusCode).toBe(403);
    const page = await app.inject({
      method: 'GET',
      url: '/staff/queues',
      cookies: { staff_session: admin.cookie },
    });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<base href="/staff/queues/"');
    const queues = await app.inject({
      method: 'GET',
      url: '/staff/queues/api/queues',
      cookies: { staff_session: admin.cookie },
    });
    expect(queues.statusCode).toBe(200);
    expect(queues.json().queues.map((q: { name: string }) => q.name)).toEqual([queue.name]);
  });

  it('accepts its state-changing calls only from this origin', async () => {
    const url = `/staff/queues/api/queues/${queue.name}/pause`;
    const noOrigin = await app.inject({ method: 'PUT', url, cookies: { staff_session: admin.cookie } });
    expect(noOrigin.statusCode).toBe(403);
    expect(noOrigin.json().error).toBe('csrf');
    const foreign = await app.inject({
      method: 'PUT',
      url,
      cookies: { staff_session: admin.cookie },
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.statusCode).toBe(403);
    expect(await queue.isPaused()).toBe(false);
    const same = await app.inject({
      method: 'PUT',
      url,
      cookies: { staff_session: admin.cookie },
      headers: { origin: 'http://localhost:80', host: 'localhost:80' },
    });
    expect(same.statusCode).toBeLessThan(300);
    expect(await queue.isPaused()).toBe(true);
  });
});
