import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.js';
import { type JobBackend, type JobBackendOptions, openJobBackend } from '../../src/jobs/backend.js';
import { silentLogger } from '../support/bot.js';
import { DIALECTS, TEST_DATABASE_URL } from '../support/databases.js';
import { createStaff, createStaffTestApp, login, type Session, type StaffTestApp } from './support.js';

const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const kind = DIALECTS[0] ?? 'pglite';

const suffix = () => randomBytes(4).toString('hex');

/** Bull Board on each backend the queues can run on: it reads all three. */
const BACKENDS: Array<[string, () => JobBackendOptions]> = [
  ['Redis', () => ({ redisUrl: TEST_REDIS_URL, prefix: `test-${suffix()}` })],
  ['PostgreSQL', () => ({ databaseUrl: TEST_DATABASE_URL, schema: `bullmq_test_${suffix()}` })],
  ['embedded PGlite', () => ({ embeddedDataDir: 'memory://' })],
];

describe.each(BACKENDS)('Bull Board at /staff/queues (%s)', (_name, backendOptions) => {
  let t: StaffTestApp;
  let app: FastifyInstance;
  let backend: JobBackend;
  let queue: Queue;
  let admin: Session;
  let agent: Session;

  beforeAll(async () => {
    t = await createStaffTestApp(kind);
    backend = await openJobBackend(backendOptions());
    queue = backend.createQueue(`board-${suffix()}`);
    await queue.add('deliver', { conversationId: 'c1' }, { delay: 60_000 });
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
    await backend.close();
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
    expect(page.body).not.toContain('https://'); // no third-party requests from a staff page
    const queues = await app.inject({
      method: 'GET',
      url: '/staff/queues/api/queues',
      cookies: { staff_session: admin.cookie },
    });
    expect(queues.statusCode).toBe(200);
    const listed = queues.json().queues as Array<{ name: string; counts: Record<string, number> }>;
    expect(listed.map((q) => q.name)).toEqual([expect.stringContaining(queue.name)]);
    expect(listed[0]?.counts.delayed).toBe(1);
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
