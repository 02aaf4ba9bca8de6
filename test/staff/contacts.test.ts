import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { submitIntake } from '../support/intake.js';
import { call, createStaff, createStaffTestApp, login, type Session, type StaffTestApp } from './support.js';

for (const kind of DIALECTS) {
  describe(`a beneficiary's data rights: export and erasure (${kind})`, () => {
    let t: StaffTestApp;
    let admin: Session;
    let supervisor: Session;
    let agent: Session;

    beforeAll(async () => {
      t = await createStaffTestApp(kind);
      admin = await login(t.app, await createStaff(t.db, 'admin', 'Amal'));
      supervisor = await login(t.app, await createStaff(t.db, 'supervisor', 'Sami'));
      agent = await login(t.app, await createStaff(t.db, 'agent', 'Aziz'));
    });
    afterAll(() => t.close());

    /** A web visitor who submits a request: returns their contact id and the request reference. */
    async function applicant() {
      const visitorId = randomUUID();
      const say = (text: string) =>
        t.app.inject({
          method: 'POST',
          url: '/api/chat/messages',
          payload: { visitorId, messageId: randomUUID(), text },
        });
      const reference = await submitIntake(
        async (text) => (await say(text)).json<{ replies: Array<{ text: string }> }>().replies,
        {
          name: 'سلمان فهد العتيبي',
          nationalId: '1000000008',
          mobile: '0559876543',
          city: 'الطائف',
          supportType: '١',
          familySize: '٣',
          income: '٢٨٠٠',
          description: 'نحتاج مساعدة في علاج ابني',
        },
      );
      const row = await t.db
        .selectFrom('support_requests')
        .select('contact_id')
        .where('reference', '=', reference)
        .executeTakeFirstOrThrow();
      return { contactId: row.contact_id, reference, visitorId };
    }

    it('gives an admin everything held about the person, unmasked, and audits it', async () => {
      const person = await applicant();
      const response = await call(t.app, admin, 'GET', `/api/staff/contacts/${person.contactId}/export`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-disposition']).toContain('attachment');
      const data = response.json();
      expect(data.requests).toHaveLength(1);
      expect(data.requests[0]).toMatchObject({
        reference: person.reference,
        fullName: 'سلمان فهد العتيبي',
        nationalId: '1000000008',
        mobile: '+966559876543',
        city: 'الطائف',
        monthlyIncome: 2800,
      });
      expect(data.channels).toEqual([expect.objectContaining({ channel: 'web', id: person.visitorId })]);
      expect(data.messages.map((message: { text: string }) => message.text)).toContain('1000000008');
      const audit = await t.db
        .selectFrom('audit_log')
        .select(['action', 'target_id', 'staff_id'])
        .where('action', '=', 'contact.export')
        .execute();
      expect(audit).toEqual([
        { action: 'contact.export', target_id: person.contactId, staff_id: admin.staff.id },
      ]);
    });

    it('is for admins only, and erasure must be confirmed in words', async () => {
      const person = await applicant();
      for (const session of [supervisor, agent]) {
        expect(
          (await call(t.app, session, 'GET', `/api/staff/contacts/${person.contactId}/export`)).statusCode,
        ).toBe(403);
        expect(
          (
            await call(t.app, session, 'POST', `/api/staff/contacts/${person.contactId}/erase`, {
              confirm: 'erase',
            })
          ).statusCode,
        ).toBe(403);
      }
      const unconfirmed = await call(
        t.app,
        admin,
        'POST',
        `/api/staff/contacts/${person.contactId}/erase`,
        {},
      );
      expect(unconfirmed.statusCode).toBe(400);
      const stillThere = await t.db
        .selectFrom('support_requests')
        .select('national_id')
        .where('reference', '=', person.reference)
        .executeTakeFirstOrThrow();
      expect(stillThere.national_id).toBe('1000000008');
      expect(
        (await call(t.app, admin, 'POST', `/api/staff/contacts/${randomUUID()}/erase`, { confirm: 'erase' }))
          .statusCode,
      ).toBe(404);
    });

    it('erases the person: the console then shows the request without their data, and the audit says what was erased', async () => {
      const person = await applicant();
      const response = await call(t.app, admin, 'POST', `/api/staff/contacts/${person.contactId}/erase`, {
        confirm: 'erase',
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().erased).toMatchObject({ conversations: 1, requests: 1 });

      const exported = (
        await call(t.app, admin, 'GET', `/api/staff/contacts/${person.contactId}/export`)
      ).json();
      expect(exported.contact.erasedAt).toEqual(expect.any(String));
      expect(JSON.stringify(exported)).not.toContain('1000000008');
      expect(JSON.stringify(exported)).not.toContain('سلمان');
      expect(exported.requests[0]).toMatchObject({ reference: person.reference, status: 'submitted' });

      const audit = await t.db
        .selectFrom('audit_log')
        .select(['details'])
        .where('action', '=', 'contact.erase')
        .where('target_id', '=', person.contactId)
        .executeTakeFirstOrThrow();
      expect(audit.details).toMatchObject({ conversations: 1, requests: 1 });
      expect(JSON.stringify(audit.details)).not.toContain('1000000008');

      // The request stays, marked; there is nothing left to reveal.
      const requestId = (
        await t.db
          .selectFrom('support_requests')
          .select('id')
          .where('reference', '=', person.reference)
          .executeTakeFirstOrThrow()
      ).id;
      const detail = (await call(t.app, admin, 'GET', `/api/staff/requests/${requestId}`)).json();
      expect(detail.request).toMatchObject({ status: 'submitted', erasedAt: expect.any(String) });
      const reveal = await call(t.app, admin, 'POST', `/api/staff/requests/${requestId}/reveal`, {
        field: 'national_id',
      });
      expect(reveal.statusCode).toBe(410);
      expect(reveal.json().error).toBe('erased');

      // The web visitor's page finds nothing of the erased conversation any more.
      const history = await t.app.inject({
        method: 'GET',
        url: `/api/chat/history?visitorId=${person.visitorId}`,
      });
      expect(history.json().messages).toEqual([]);
    });
  });
}
