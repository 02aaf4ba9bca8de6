import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { call, createStaff, createStaffTestApp, login, type Session, type StaffTestApp } from './support.js';

for (const kind of DIALECTS) {
  describe(`canned replies (${kind})`, () => {
    let t: StaffTestApp;
    let agent: Session;
    let supervisor: Session;

    beforeAll(async () => {
      t = await createStaffTestApp(kind);
      agent = await login(t.app, await createStaff(t.db, 'agent'));
      supervisor = await login(t.app, await createStaff(t.db, 'supervisor'));
    });
    afterAll(() => t.close());

    it('supervisors create, edit and delete them (audited); agents read them only', async () => {
      const body = { title: 'ترحيب', text: 'حيّاكم الله، معكم موظف علاقات المستفيدين. كيف نخدمكم؟' };
      expect((await call(t.app, agent, 'POST', '/api/staff/canned-replies', body)).statusCode).toBe(403);

      const created = await call(t.app, supervisor, 'POST', '/api/staff/canned-replies', body);
      expect(created.statusCode).toBe(201);
      const { reply } = created.json();
      expect(reply).toEqual({ id: expect.any(String), ...body });

      const listed = await call(t.app, agent, 'GET', '/api/staff/canned-replies');
      expect(listed.json()).toEqual({ replies: [reply] });

      const url = `/api/staff/canned-replies/${reply.id}`;
      expect((await call(t.app, agent, 'PATCH', url, { title: 'x' })).statusCode).toBe(403);
      const edited = await call(t.app, supervisor, 'PATCH', url, { text: 'نص جديد' });
      expect(edited.json().reply).toEqual({ ...reply, text: 'نص جديد' });
      expect((await call(t.app, supervisor, 'PATCH', url, {})).statusCode).toBe(400);

      expect((await call(t.app, agent, 'DELETE', url)).statusCode).toBe(403);
      expect((await call(t.app, supervisor, 'DELETE', url)).statusCode).toBe(204);
      expect((await call(t.app, supervisor, 'DELETE', url)).statusCode).toBe(404);
      expect((await call(t.app, agent, 'GET', '/api/staff/canned-replies')).json()).toEqual({ replies: [] });

      const audit = await t.db
        .selectFrom('audit_log')
        .select(['action', 'staff_id', 'target_id', 'details'])
        .where('target_type', '=', 'canned_reply')
        .orderBy('created_at')
        .execute();
      expect(audit).toEqual([
        { action: 'canned_reply.create', staff_id: supervisor.staff.id, target_id: reply.id, details: {} },
        {
          action: 'canned_reply.update',
          staff_id: supervisor.staff.id,
          target_id: reply.id,
          details: { fields: ['text'] },
        },
        { action: 'canned_reply.delete', staff_id: supervisor.staff.id, target_id: reply.id, details: {} },
      ]);
    });

    it('validates title and text', async () => {
      for (const invalid of [
        { title: '', text: 'x' },
        { title: 'x', text: '   ' },
        { title: 'x'.repeat(101), text: 'x' },
        { title: 'x', text: 'x'.repeat(4001) },
      ]) {
        expect((await call(t.app, supervisor, 'POST', '/api/staff/canned-replies', invalid)).statusCode).toBe(
          400,
        );
      }
      expect(
        (await call(t.app, supervisor, 'PATCH', `/api/staff/canned-replies/${randomUUID()}`, { title: 'x' }))
          .statusCode,
      ).toBe(404);
    });
  });
}
