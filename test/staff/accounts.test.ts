import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { call, createStaff, createStaffTestApp, login, type Session, type StaffTestApp } from './support.js';

for (const kind of DIALECTS) {
  describe(`staff accounts and audit (${kind})`, () => {
    let t: StaffTestApp;
    let admin: Session;
    let supervisor: Session;
    let agent: Session;

    beforeAll(async () => {
      t = await createStaffTestApp(kind);
      admin = await login(t.app, await createStaff(t.db, 'admin', 'Admin One'));
      supervisor = await login(t.app, await createStaff(t.db, 'supervisor'));
      agent = await login(t.app, await createStaff(t.db, 'agent'));
    });
    afterAll(() => t.close());

    it('lets only admins list and manage accounts', async () => {
      for (const session of [agent, supervisor]) {
        const list = await call(t.app, session, 'GET', '/api/staff/accounts');
        expect(list.statusCode).toBe(403);
        expect(list.json().error).toBe('forbidden');
        const create = await call(t.app, session, 'POST', '/api/staff/accounts', {
          email: 'new@example.org',
          name: 'New',
          password: 'a long enough password',
          role: 'admin',
        });
        expect(create.statusCode).toBe(403);
        const patch = await call(t.app, session, 'PATCH', `/api/staff/accounts/${session.staff.id}`, {
          role: 'admin',
        });
        expect(patch.statusCode).toBe(403);
      }
      const list = await call(t.app, admin, 'GET', '/api/staff/accounts');
      expect(list.statusCode).toBe(200);
      const accounts = list.json().accounts as Array<Record<string, unknown>>;
      expect(accounts.map((a) => a.email)).toEqual(
        expect.arrayContaining([admin.staff.email, supervisor.staff.email, agent.staff.email]),
      );
      expect(Object.keys(accounts[0] ?? {}).sort()).toEqual([
        'createdAt',
        'disabled',
        'email',
        'id',
        'name',
        'role',
      ]);
      expect(list.body).not.toContain('scrypt$');
      expect(agent.staff.role).toBe('agent');
      expect(
        (
          await t.db
            .selectFrom('staff_accounts')
            .select('role')
            .where('id', '=', agent.staff.id)
            .executeTakeFirst()
        )?.role,
      ).toBe('agent');
    });

    it('creates an account (audited), refuses a taken email and invalid fields', async () => {
      const created = await call(t.app, admin, 'POST', '/api/staff/accounts', {
        email: ' Sara@Example.org ',
        name: 'سارة العتيبي',
        password: 'a long enough password',
        role: 'supervisor',
      });
      expect(created.statusCode).toBe(201);
      const account = created.json().account;
      expect(account).toMatchObject({
        email: 'sara@example.org',
        name: 'سارة العتيبي',
        role: 'supervisor',
        disabled: false,
      });
      const again = await call(t.app, admin, 'POST', '/api/staff/accounts', {
        email: 'sara@example.org',
        name: 'Another',
        password: 'a long enough password',
        role: 'agent',
      });
      expect(again.statusCode).toBe(409);
      expect(again.json().error).toBe('email_taken');
      for (const invalid of [
        { email: 'not-an-email', name: 'X', password: 'a long enough password', role: 'agent' },
        { email: 'x@example.org', name: 'X', password: 'short', role: 'agent' },
        { email: 'x@example.org', name: 'X', password: 'a long enough password', role: 'root' },
        { email: 'x@example.org', name: 'x'.repeat(101), password: 'a long enough password', role: 'agent' },
        { email: 'x@example.org', name: '', password: 'a long enough password', role: 'agent' },
      ]) {
        const response = await call(t.app, admin, 'POST', '/api/staff/accounts', invalid);
        expect(response.statusCode, JSON.stringify(invalid)).toBe(400);
        expect(response.json().error).toBe('invalid');
      }
      const audit = await t.db
        .selectFrom('audit_log')
        .select(['action', 'staff_id', 'target_id', 'details'])
        .where('action', '=', 'account.create')
        .execute();
      expect(audit).toEqual([
        {
          action: 'account.create',
          staff_id: admin.staff.id,
          target_id: account.id,
          details: { role: 'supervisor' },
        },
      ]);
      expect(JSON.stringify(audit)).not.toContain('a long enough password');
    });

    it('changes role, password and disabled; a new password or disabling ends that person’s sessions', async () => {
      const person = await createStaff(t.db, 'agent');
      const first = await login(t.app, person);
      const promoted = await call(t.app, admin, 'PATCH', `/api/staff/accounts/${person.id}`, {
        role: 'supervisor',
      });
      expect(promoted.statusCode).toBe(200);
      expect(promoted.json().account.role).toBe('supervisor');
      // The role is read on every request: the open session is a supervisor's at once.
      expect((await call(t.app, first, 'GET', '/api/staff/me')).json().staff.role).toBe('supervisor');

      const newPassword = 'a brand new password';
      expect(
        (await call(t.app, admin, 'PATCH', `/api/staff/accounts/${person.id}`, { password: newPassword }))
          .statusCode,
      ).toBe(200);
      expect((await call(t.app, first, 'GET', '/api/staff/me')).statusCode).toBe(401);
      const oldLogin = await t.app.inject({
        method: 'POST',
        url: '/api/staff/login',
        payload: { email: person.email, password: person.password },
      });
      expect(oldLogin.statusCode).toBe(401);
      const second = await login(t.app, { ...person, password: newPassword });

      expect(
        (await call(t.app, admin, 'PATCH', `/api/staff/accounts/${person.id}`, { disabled: true }))
          .statusCode,
      ).toBe(200);
      expect((await call(t.app, second, 'GET', '/api/staff/me')).statusCode).toBe(401);
      const disabledLogin = await t.app.inject({
        method: 'POST',
        url: '/api/staff/login',
        payload: { email: person.email, password: newPassword },
      });
      expect(disabledLogin.statusCode).toBe(401);
      expect(disabledLogin.json().error).toBe('invalid_credentials');

      const audit = await t.db
        .selectFrom('audit_log')
        .select('details')
        .where('action', '=', 'account.update')
        .where('target_id', '=', person.id)
        .orderBy('created_at')
        .execute();
      expect(audit.map((row) => row.details)).toEqual([
        { fields: ['role'], role: 'supervisor' },
        { fields: ['password'] },
        { fields: ['disabled'], disabled: true },
      ]);
      expect(JSON.stringify(audit)).not.toContain(newPassword);
    });

    it('refuses to demote or disable the last enabled admin', async () => {
      const demote = await call(t.app, admin, 'PATCH', `/api/staff/accounts/${admin.staff.id}`, {
        role: 'agent',
      });
      expect(demote.statusCode).toBe(409);
      expect(demote.json().error).toBe('last_admin');
      const disable = await call(t.app, admin, 'PATCH', `/api/staff/accounts/${admin.staff.id}`, {
        disabled: true,
      });
      expect(disable.statusCode).toBe(409);
      expect((await call(t.app, admin, 'GET', '/api/staff/me')).json().staff.role).toBe('admin');
      const missing = await call(
        t.app,
        admin,
        'PATCH',
        '/api/staff/accounts/00000000-0000-4000-8000-000000000000',
        {
          name: 'Ghost',
        },
      );
      expect(missing.statusCode).toBe(404);
      const empty = await call(t.app, admin, 'PATCH', `/api/staff/accounts/${admin.staff.id}`, {});
      expect(empty.statusCode).toBe(400);
    });

    it('shows the audit log to admins only, newest first, with who, what and when', async () => {
      expect((await call(t.app, supervisor, 'GET', '/api/staff/audit')).statusCode).toBe(403);
      const response = await call(t.app, admin, 'GET', '/api/staff/audit?limit=5');
      expect(response.statusCode).toBe(200);
      const entries = response.json().entries as Array<{
        at: string;
        staff: { id: string; name: string } | null;
        action: string;
        target: string | null;
      }>;
      expect(entries).toHaveLength(5);
      const times = entries.map((entry) => Date.parse(entry.at));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      const update = entries.find((entry) => entry.action === 'account.update');
      expect(update?.staff).toEqual({ id: admin.staff.id, name: 'Admin One' });
      expect(update?.target).toMatch(/^staff:[0-9a-f-]{36}$/);
      const logins = await call(
        t.app,
        admin,
        'GET',
        `/api/staff/audit?action=login&staffId=${agent.staff.id}`,
      );
      expect(logins.json().entries.map((entry: { action: string }) => entry.action)).toEqual(['login']);
      expect((await call(t.app, admin, 'GET', '/api/staff/audit?limit=0')).statusCode).toBe(400);
    });

    it('shows the WhatsApp login state and QR to admins only', async () => {
      expect((await call(t.app, supervisor, 'GET', '/api/staff/whatsapp')).statusCode).toBe(403);
      const response = await call(t.app, admin, 'GET', '/api/staff/whatsapp');
      expect(response.json()).toEqual({ state: 'starting', qr: 'QR-DATA', reason: 'waiting for QR scan' });
    });

    it('serves the console page at /staff/ under the strict security headers', async () => {
      const page = await t.app.inject({ method: 'GET', url: '/staff/' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
      // Typed without the slash, the address still leads to the console.
      const bare = await t.app.inject({ method: 'GET', url: '/staff' });
      expect(bare.statusCode).toBe(301);
      expect(bare.headers.location).toBe('/staff/');
    });

    it('answers unknown API routes with a JSON 404', async () => {
      const response = await call(t.app, admin, 'GET', '/api/staff/nothing-here');
      expect(response.statusCode).toBe(404);
      expect(response.json().error).toBe('not_found');
    });
  });
}
