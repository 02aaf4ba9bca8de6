import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffRoutes } from '../../src/staff/routes.js';
import { silentLogger } from '../support/bot.js';
import { DIALECTS } from '../support/databases.js';
import {
  call,
  createStaff,
  createStaffTestApp,
  login,
  type StaffTestApp,
  sessionCookie,
  type TestStaff,
} from './support.js';

async function auditActions(t: StaffTestApp, staffId: string | null) {
  const rows = await t.db
    .selectFrom('audit_log')
    .select(['action', 'details', 'staff_id'])
    .where((eb) => (staffId === null ? eb('staff_id', 'is', null) : eb('staff_id', '=', staffId)))
    .orderBy('created_at')
    .execute();
  return rows;
}

for (const kind of DIALECTS) {
  describe(`staff auth (${kind})`, () => {
    let t: StaffTestApp;
    let agent: TestStaff;

    beforeAll(async () => {
      t = await createStaffTestApp(kind, { loginLimits: { perEmail: 3, perIp: 100, windowMs: 60_000 } });
      agent = await createStaff(t.db, 'agent');
    });
    afterAll(() => t.close());

    it('logs in with a session cookie that is HttpOnly, SameSite=Strict, path /, and audited', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/staff/login',
        payload: { email: agent.email.toUpperCase(), password: agent.password },
      });
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.staff).toEqual({ id: agent.id, email: agent.email, name: agent.name, role: 'agent' });
      expect(body.csrfToken).toMatch(/^[\w-]{20,}$/);
      const header = String(response.headers['set-cookie']);
      expect(header).toMatch(/^staff_session=[\w-]{43};/);
      expect(header).toContain('HttpOnly');
      expect(header).toContain('SameSite=Strict');
      expect(header).toContain('Path=/');
      // Plain http, no STAFF_COOKIE_SECURE, and X-Forwarded-Proto is not trusted without trustProxy.
      expect(header).not.toContain('Secure');
      expect(response.headers['cache-control']).toBe('no-store');
      expect((await auditActions(t, agent.id)).map((row) => row.action)).toContain('login');
    });

    it('stores only a hash of the session token', async () => {
      const session = await login(t.app, agent);
      const hash = createHash('sha256').update(session.cookie).digest('hex');
      const rows = await t.db.selectFrom('staff_sessions').select('token_hash').execute();
      expect(rows.map((row) => row.token_hash)).toContain(hash);
      expect(JSON.stringify(rows)).not.toContain(session.cookie);
    });

    it('ignores X-Forwarded-Proto without trustProxy', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/staff/login',
        headers: { 'x-forwarded-proto': 'https' },
        payload: { email: agent.email, password: agent.password },
      });
      expect(String(response.headers['set-cookie'])).not.toContain('Secure');
    });

    it('answers an unknown email and a wrong password identically, and audits both without the password', async () => {
      const unknown = await t.app.inject({
        method: 'POST',
        url: '/api/staff/login',
        payload: { email: 'nobody@example.org', password: 'whatever password' },
      });
      const wrong = await t.app.inject({
        method: 'POST',
        url: '/api/staff/login',
        payload: { email: agent.email, password: 'not the password' },
      });
      expect(unknown.statusCode).toBe(401);
      expect(wrong.statusCode).toBe(401);
      expect(unknown.json()).toEqual(wrong.json());
      expect(unknown.json()).toEqual({ error: 'invalid_credentials', message: 'wrong email or password' });
      expect(unknown.headers['set-cookie']).toBeUndefined();
      const failures = [...(await auditActions(t, agent.id)), ...(await auditActions(t, null))].filter(
        (row) => row.action === 'login_failed',
      );
      expect(failures.length).toBeGreaterThanOrEqual(2);
      expect(JSON.stringify(failures)).not.toContain('not the password');
      expect(JSON.stringify(failures)).not.toContain('nobody@example.org');
      // The failure was not a lockout: the right password still works.
      await login(t.app, agent);
    });

    it('spends the same work on an unknown email as on a wrong password (a dummy hash is checked)', async () => {
      const other = await createStaff(t.db, 'agent');
      const time = async (email: string) => {
        const started = performance.now();
        await t.app.inject({
          method: 'POST',
          url: '/api/staff/login',
          payload: { email, password: 'x'.repeat(12) },
        });
        return performance.now() - started;
      };
      const median = (values: number[]) => values.sort((a, b) => a - b)[1] as number;
      const unknown: number[] = [];
      const known: number[] = [];
      for (let i = 0; i < 3; i++) {
        unknown.push(await time(`ghost${i}@example.org`));
        known.push(await time(other.email));
        // Keep under the per-email limit: the last failure is cleared by a success.
        await login(t.app, other);
      }
      // Without the dummy hash an unknown email answers in a few ms, against scrypt's tens of ms.
      expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
    });

    it('refuses the 4th attempt after 3 failures with 429, even with the right password, and audits it', async () => {
      const target = await createStaff(t.db, 'agent');
      for (let i = 0; i < 3; i++) {
        const failed = await t.app.inject({
          method: 'POST',
          url: '/api/staff/login',
          payload: { email: target.email, password: `wrong password ${i}` },
        });
        expect(failed.statusCode).toBe(401);
      }
      const blocked = await t.app.inject({
        method: 'POST',
        url: '/api/staff/login',
        payload: { email: target.email, password: target.password },
      });
      expect(blocked.statusCode).toBe(429);
      const body = blocked.json();
      expect(body.error).toBe('too_many_attempts');
      expect(body.retryAfterSeconds).toBeGreaterThan(0);
      expect(body.retryAfterSeconds).toBeLessThanOrEqual(60);
      expect(blocked.headers['retry-after']).toBe(String(body.retryAfterSeconds));
      expect(blocked.headers['set-cookie']).toBeUndefined();
      const actions = (await auditActions(t, target.id)).map((row) => row.action);
      expect(actions).toEqual(['login_failed', 'login_failed', 'login_failed', 'login_throttled']);
    });

    it('counts failures in the database, so another server on the same database refuses too', async () => {
      const target = await createStaff(t.db, 'agent');
      for (let i = 0; i < 3; i++) {
        await t.app.inject({
          method: 'POST',
          url: '/api/staff/login',
          payload: { email: target.email, password: `wrong password ${i}` },
        });
      }
      const second = Fastify();
      await second.register(staffRoutes, {
        db: t.bot.database.db,
        logger: silentLogger,
        control: t.bot.control,
        cookieSecure: false,
        loginLimits: { perEmail: 3, perIp: 100, windowMs: 60_000 },
      });
      const blocked = await second.inject({
        method: 'POST',
        url: '/api/staff/login',
        payload: { email: target.email, password: target.password },
      });
      expect(blocked.statusCode).toBe(429);
      await second.close();
    });

    it('a success clears the email’s earlier failures', async () => {
      const target = await createStaff(t.db, 'agent');
      const fail = () =>
        t.app.inject({
          method: 'POST',
          url: '/api/staff/login',
          payload: { email: target.email, password: 'nope nope nope' },
        });
      await fail();
      await fail();
      await login(t.app, target);
      await fail();
      await fail();
      expect((await login(t.app, target)).cookie).toBeTruthy();
    });

    it('limits failures per client address across emails', async () => {
      // A fresh app: the per-address count of the other tests would interfere.
      const fresh = await createStaffTestApp(kind, {
        loginLimits: { perEmail: 3, perIp: 4, windowMs: 60_000 },
      });
      try {
        const codes: number[] = [];
        for (let i = 0; i < 5; i++) {
          const response = await fresh.app.inject({
            method: 'POST',
            url: '/api/staff/login',
            payload: { email: `spray${i}@example.org`, password: 'password123456' },
          });
          codes.push(response.statusCode);
        }
        expect(codes).toEqual([401, 401, 401, 401, 429]);
        const throttled = await auditActions(fresh, null);
        expect(throttled.map((row) => row.action)).toContain('login_throttled');
      } finally {
        await fresh.close();
      }
    });

    it('refuses requests without a session', async () => {
      const none = await t.app.inject({ method: 'GET', url: '/api/staff/me' });
      expect(none.statusCode).toBe(401);
      expect(none.json()).toEqual({ error: 'unauthenticated', message: 'please sign in' });
      const bogus = await t.app.inject({
        method: 'GET',
        url: '/api/staff/me',
        cookies: { staff_session: 'A'.repeat(43) },
      });
      expect(bogus.statusCode).toBe(401);
    });

    it('returns the same CSRF token from me as from login', async () => {
      const session = await login(t.app, agent);
      const me = await call(t.app, session, 'GET', '/api/staff/me');
      expect(me.statusCode).toBe(200);
      expect(me.json()).toEqual({
        staff: { id: agent.id, email: agent.email, name: agent.name, role: 'agent' },
        csrfToken: session.csrf,
      });
    });

    it('refuses a state-changing request without the CSRF header, or with a wrong one', async () => {
      const session = await login(t.app, agent);
      const other = await login(t.app, agent);
      const url = '/api/staff/logout';
      const missing = await t.app.inject({ method: 'POST', url, cookies: { staff_session: session.cookie } });
      expect(missing.statusCode).toBe(403);
      expect(missing.json().error).toBe('csrf');
      const wrong = await t.app.inject({
        method: 'POST',
        url,
        cookies: { staff_session: session.cookie },
        headers: { 'x-csrf-token': 'x'.repeat(43) },
      });
      expect(wrong.statusCode).toBe(403);
      // Another session's token is just as wrong.
      const crossed = await t.app.inject({
        method: 'POST',
        url,
        cookies: { staff_session: session.cookie },
        headers: { 'x-csrf-token': other.csrf },
      });
      expect(crossed.statusCode).toBe(403);
      expect((await call(t.app, session, 'GET', '/api/staff/me')).statusCode).toBe(200);
    });

    it('logs out: the session is deleted, the cookie cleared, the logout audited', async () => {
      const session = await login(t.app, agent);
      const response = await call(t.app, session, 'POST', '/api/staff/logout');
      expect(response.statusCode).toBe(204);
      expect(String(response.headers['set-cookie'])).toMatch(/staff_session=;/);
      expect((await call(t.app, session, 'GET', '/api/staff/me')).statusCode).toBe(401);
      expect((await auditActions(t, agent.id)).map((row) => row.action)).toContain('logout');
    });

    it('ends sessions idle for more than 12 hours, or older than 7 days', async () => {
      const idle = await login(t.app, agent);
      const old = await login(t.app, agent);
      const hash = (token: string) => createHash('sha256').update(token).digest('hex');
      await t.db
        .updateTable('staff_sessions')
        .set({ last_seen_at: new Date(Date.now() - 13 * 3600_000) })
        .where('token_hash', '=', hash(idle.cookie))
        .execute();
      // created_at is never updated by the app; the test ages it directly.
      await sql`update staff_sessions set created_at = now() - interval '8 days' where token_hash = ${hash(old.cookie)}`.execute(
        t.db,
      );
      expect((await call(t.app, idle, 'GET', '/api/staff/me')).statusCode).toBe(401);
      expect((await call(t.app, old, 'GET', '/api/staff/me')).statusCode).toBe(401);
    });

    it('validates the login body', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/staff/login',
        payload: { email: 'a@b.c' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toBe('invalid');
    });
  });
}

describe('session cookie Secure flag', () => {
  const kind = DIALECTS[0] ?? 'pglite';

  it('is set when STAFF_COOKIE_SECURE is on', async () => {
    const t = await createStaffTestApp(kind, { cookieSecure: true });
    try {
      const agent = await createStaff(t.db, 'agent');
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/staff/login',
        payload: { email: agent.email, password: agent.password },
      });
      expect(String(response.headers['set-cookie'])).toContain('Secure');
    } finally {
      await t.close();
    }
  });

  it('is set for X-Forwarded-Proto: https when the server trusts its proxy (TRUST_PROXY)', async () => {
    const t = await createStaffTestApp(kind, { trustProxy: ['127.0.0.1'] });
    try {
      const agent = await createStaff(t.db, 'agent');
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/staff/login',
        headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
        payload: { email: agent.email, password: agent.password },
      });
      expect(response.statusCode).toBe(200);
      expect(String(response.headers['set-cookie'])).toContain('Secure');
      expect(sessionCookie(response)).toHaveLength(43);
      // The audit log names the beneficiary-facing address the proxy forwarded, not the proxy.
      const login = await t.db
        .selectFrom('audit_log')
        .select('ip')
        .where('action', '=', 'login')
        .executeTakeFirstOrThrow();
      expect(login.ip).toBe('203.0.113.9');
    } finally {
      await t.close();
    }
  });

  it('trusts a hop count of proxies: the address one hop out is the client', async () => {
    const t = await createStaffTestApp(kind, { trustProxy: 1 });
    try {
      const agent = await createStaff(t.db, 'agent');
      await t.app.inject({
        method: 'POST',
        url: '/api/staff/login',
        headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' },
        payload: { email: agent.email, password: agent.password },
      });
      const login = await t.db
        .selectFrom('audit_log')
        .select('ip')
        .where('action', '=', 'login')
        .executeTakeFirstOrThrow();
      expect(login.ip).toBe('203.0.113.7');
    } finally {
      await t.close();
    }
  });
});
