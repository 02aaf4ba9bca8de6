import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupportType } from '../../src/domain/request-status.js';
import { resolveIdentity } from '../../src/storage/repositories/contacts.js';
import { createSupportRequest } from '../../src/storage/repositories/requests.js';
import { DIALECTS } from '../support/databases.js';
import { call, createStaff, createStaffTestApp, login, type Session, type StaffTestApp } from './support.js';

const ARABIC_INDIC = '٠١٢٣٤٥٦٧٨٩';
const toArabicIndic = (digits: string) => digits.replace(/\d/g, (d) => ARABIC_INDIC[Number(d)] ?? d);

for (const kind of DIALECTS) {
  describe(`staff requests (${kind})`, () => {
    let t: StaffTestApp;
    let alice: Session;
    let bob: Session;
    let supervisor: Session;

    async function newRequest(values: {
      name: string;
      nationalId: string;
      city?: string;
      supportType?: SupportType;
    }) {
      const { contact } = await resolveIdentity(t.bot.database.db, {
        channel: 'web',
        externalId: `visitor-${randomUUID()}`,
      });
      return createSupportRequest(t.bot.database.db, {
        contactId: contact.id,
        conversationId: null,
        fullName: values.name,
        nationalId: values.nationalId,
        mobileE164: '+966512345678',
        city: values.city ?? 'الرياض',
        supportType: values.supportType ?? 'food',
        familySize: 5,
        monthlyIncome: 2500.5,
        description: 'أسرة من خمسة أفراد',
      });
    }

    beforeAll(async () => {
      t = await createStaffTestApp(kind);
      alice = await login(t.app, await createStaff(t.db, 'agent', 'Alice'));
      bob = await login(t.app, await createStaff(t.db, 'agent', 'Bob'));
      supervisor = await login(t.app, await createStaff(t.db, 'supervisor', 'Sam'));
    });
    afterAll(() => t.close());

    it('lists requests newest first with the national ID masked, and filters them', async () => {
      const first = await newRequest({
        name: 'محمد عبدالله القحطاني',
        nationalId: '1098765434',
        city: 'جدة',
        supportType: 'housing',
      });
      const second = await newRequest({ name: 'فاطمة علي', nationalId: '2123456784' });
      const response = await call(t.app, alice, 'GET', '/api/staff/requests');
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.total).toBeGreaterThanOrEqual(2);
      const listed = body.requests.find((r: { id: string }) => r.id === first.id);
      expect(listed).toEqual({
        id: first.id,
        reference: first.reference,
        fullName: 'محمد عبدالله القحطاني',
        nationalIdMasked: '1*******34',
        city: 'جدة',
        supportType: 'housing',
        status: 'submitted',
        createdAt: first.created_at.toISOString(),
        updatedAt: first.updated_at.toISOString(),
        assignedTo: null,
        erasedAt: null,
      });
      expect(response.body).not.toContain('1098765434');
      expect(response.body).not.toContain('2123456784');
      const ids = body.requests.map((r: { id: string }) => r.id);
      expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));

      const search = async (query: string) =>
        (await call(t.app, alice, 'GET', `/api/staff/requests?${query}`)).json() as {
          total: number;
          requests: Array<{ id: string }>;
        };
      expect(
        (await search(`q=${encodeURIComponent(toArabicIndic(first.reference))}`)).requests.map((r) => r.id),
      ).toEqual([first.id]);
      expect((await search(`q=${encodeURIComponent('عبدالله')}`)).requests.map((r) => r.id)).toEqual([
        first.id,
      ]);
      expect((await search(`city=${encodeURIComponent('جدة')}`)).requests.map((r) => r.id)).toEqual([
        first.id,
      ]);
      expect((await search('supportType=housing')).requests.map((r) => r.id)).toEqual([first.id]);
      expect((await search('q=%25')).total).toBe(0);
      const paged = await search('limit=1&offset=1');
      expect(paged.requests).toHaveLength(1);
      expect(paged.total).toBe(body.total);
      const tomorrow = new Date(Date.now() + 86_400_000 * 2).toISOString().slice(0, 10);
      expect((await search(`from=${tomorrow}`)).total).toBe(0);
      expect((await search(`to=${tomorrow}`)).total).toBe(body.total);
      expect((await call(t.app, alice, 'GET', '/api/staff/requests?status=lost')).statusCode).toBe(400);
      expect((await call(t.app, alice, 'GET', '/api/staff/requests?limit=500')).statusCode).toBe(400);
    });

    it('shows a request with every field, masked numbers, the allowed next statuses and its history', async () => {
      const request = await newRequest({ name: 'سالم', nationalId: '1000000008' });
      const response = await call(t.app, alice, 'GET', `/api/staff/requests/${request.id}`);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.request).toMatchObject({
        id: request.id,
        reference: request.reference,
        nationalIdMasked: '1*******08',
        mobileMasked: '+9665******78',
        familySize: 5,
        monthlyIncome: 2500.5,
        description: 'أسرة من خمسة أفراد',
        allowedNext: ['under_review', 'cancelled'],
      });
      expect(body.history).toEqual([
        { status: 'submitted', note: null, changedBy: 'beneficiary', at: expect.any(String) },
      ]);
      expect(response.body).not.toContain('1000000008');
      expect(response.body).not.toContain('512345678');
      expect((await call(t.app, alice, 'GET', `/api/staff/requests/${randomUUID()}`)).statusCode).toBe(404);
    });

    it('changes status with a note; refuses a transition the policy does not allow (409)', async () => {
      const request = await newRequest({ name: 'نورة', nationalId: '1111111111' });
      const invalid = await call(t.app, alice, 'POST', `/api/staff/requests/${request.id}/status`, {
        status: 'approved',
        note: null,
      });
      expect(invalid.statusCode).toBe(409);
      expect(invalid.json()).toMatchObject({
        error: 'invalid_transition',
        allowedNext: ['under_review', 'cancelled'],
      });

      const note = 'تواصلنا مع الأسرة هاتفيًا';
      const changed = await call(t.app, alice, 'POST', `/api/staff/requests/${request.id}/status`, {
        status: 'under_review',
        note,
      });
      expect(changed.statusCode).toBe(200);
      const body = changed.json();
      expect(body.request).toMatchObject({
        status: 'under_review',
        assignedTo: { id: alice.staff.id, name: 'Alice' },
        allowedNext: ['approved', 'rejected', 'needs_info'],
      });
      expect(body.history.at(-1)).toMatchObject({
        status: 'under_review',
        note,
        changedBy: { id: alice.staff.id, name: 'Alice' },
      });
      // The beneficiary is notified through a follow-up written with the change.
      const notices = await t.db
        .selectFrom('follow_ups')
        .select('kind')
        .where('request_id', '=', request.id)
        .where('kind', '=', 'status_notice')
        .execute();
      expect(notices).toHaveLength(1);
      const audit = await t.db
        .selectFrom('audit_log')
        .select(['action', 'staff_id', 'details'])
        .where('target_id', '=', request.id)
        .execute();
      expect(audit).toEqual([
        {
          action: 'request.status',
          staff_id: alice.staff.id,
          details: { from: 'submitted', to: 'under_review' },
        },
      ]);
      expect(JSON.stringify(audit)).not.toContain(note);
      const bad = await call(t.app, alice, 'POST', `/api/staff/requests/${request.id}/status`, {
        status: 'lost',
        note: '',
      });
      expect(bad.statusCode).toBe(400);
    });

    it('reveals the national ID or mobile only to the handling staff or a supervisor, and audits it', async () => {
      const request = await newRequest({ name: 'خالد', nationalId: '1222222226' });
      const url = `/api/staff/requests/${request.id}/reveal`;
      const notHandling = await call(t.app, alice, 'POST', url, { field: 'national_id' });
      expect(notHandling.statusCode).toBe(403);
      expect(notHandling.body).not.toContain('1222222226');

      await call(t.app, alice, 'POST', `/api/staff/requests/${request.id}/status`, {
        status: 'under_review',
        note: null,
      });
      const revealed = await call(t.app, alice, 'POST', url, { field: 'national_id' });
      expect(revealed.statusCode).toBe(200);
      expect(revealed.json()).toEqual({ value: '1222222226' });
      expect(revealed.headers['cache-control']).toBe('no-store');
      expect((await call(t.app, alice, 'POST', url, { field: 'mobile' })).json()).toEqual({
        value: '+966512345678',
      });
      // Another agent is not the handler; a supervisor may see it.
      expect((await call(t.app, bob, 'POST', url, { field: 'national_id' })).statusCode).toBe(403);
      expect((await call(t.app, supervisor, 'POST', url, { field: 'national_id' })).statusCode).toBe(200);
      expect((await call(t.app, alice, 'POST', url, { field: 'income' })).statusCode).toBe(400);

      const audit = await t.db
        .selectFrom('audit_log')
        .select(['staff_id', 'details'])
        .where('action', '=', 'request.reveal')
        .where('target_id', '=', request.id)
        .orderBy('created_at')
        .execute();
      expect(audit).toEqual([
        { staff_id: alice.staff.id, details: { field: 'national_id' } },
        { staff_id: alice.staff.id, details: { field: 'mobile' } },
        { staff_id: supervisor.staff.id, details: { field: 'national_id' } },
      ]);
      expect(JSON.stringify(audit)).not.toContain('1222222226');
    });

    it('lets only the handling agent or a supervisor change a request an agent handles', async () => {
      const request = await newRequest({ name: 'هند', nationalId: '1444444446' });
      const status = (session: Session, to: string) =>
        call(t.app, session, 'POST', `/api/staff/requests/${request.id}/status`, { status: to, note: null });
      const reveal = (session: Session) =>
        call(t.app, session, 'POST', `/api/staff/requests/${request.id}/reveal`, { field: 'national_id' });

      // Unassigned: the first agent to change it becomes its handler.
      expect((await status(alice, 'under_review')).statusCode).toBe(200);

      // Bob cannot make himself its handler, and so cannot reveal its numbers.
      const refused = await status(bob, 'approved');
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toEqual({
        error: 'forbidden',
        message: 'this request is handled by Alice; only they or a supervisor can change it',
        assignedTo: { id: alice.staff.id, name: 'Alice' },
      });
      const revealRefused = await reveal(bob);
      expect(revealRefused.statusCode).toBe(403);
      expect(revealRefused.body).not.toContain('1444444446');
      const afterRefusal = (await call(t.app, bob, 'GET', `/api/staff/requests/${request.id}`)).json();
      expect(afterRefusal.request).toMatchObject({
        status: 'under_review',
        assignedTo: { id: alice.staff.id, name: 'Alice' },
      });
      expect(afterRefusal.history).toHaveLength(2);

      // Alice, who handles it, can.
      expect((await status(alice, 'needs_info')).statusCode).toBe(200);
      expect((await reveal(alice)).json()).toEqual({ value: '1444444446' });

      // A supervisor can change anyone's request; it stays with its handler.
      const bySupervisor = await status(supervisor, 'under_review');
      expect(bySupervisor.statusCode).toBe(200);
      expect(bySupervisor.json().request.assignedTo).toEqual({ id: alice.staff.id, name: 'Alice' });
      expect(bySupervisor.json().history.at(-1).changedBy).toEqual({ id: supervisor.staff.id, name: 'Sam' });
      expect((await reveal(supervisor)).statusCode).toBe(200);
      expect((await status(bob, 'approved')).statusCode).toBe(403);
      expect((await status(alice, 'approved')).statusCode).toBe(200);

      const audit = await t.db
        .selectFrom('audit_log')
        .select(['action', 'staff_id'])
        .where('target_id', '=', request.id)
        .orderBy('created_at')
        .execute();
      expect(audit).toEqual([
        { action: 'request.status', staff_id: alice.staff.id },
        { action: 'request.status', staff_id: alice.staff.id },
        { action: 'request.reveal', staff_id: alice.staff.id },
        { action: 'request.status', staff_id: supervisor.staff.id },
        { action: 'request.reveal', staff_id: supervisor.staff.id },
        { action: 'request.status', staff_id: alice.staff.id },
      ]);
    });

    it('refuses a colleague’s request inside the control too, when it was taken after the check', async () => {
      const request = await newRequest({ name: 'عبير', nationalId: '1555555553' });
      await t.bot.control.changeRequestStatus(request.id, 'under_review', null, alice.staff.id);
      await expect(
        t.bot.control.changeRequestStatus(request.id, 'approved', null, bob.staff.id),
      ).rejects.toMatchObject({ name: 'RequestHandledElsewhereError', assignedTo: alice.staff.id });
      const bySupervisor = await t.bot.control.changeRequestStatus(
        request.id,
        'approved',
        null,
        bob.staff.id,
        {
          anyHandler: true,
        },
      );
      expect(bySupervisor).toMatchObject({ status: 'approved', assigned_to: alice.staff.id });
    });

    it('masks an ID or mobile the beneficiary wrote in the description', async () => {
      const { contact } = await resolveIdentity(t.bot.database.db, {
        channel: 'web',
        externalId: `visitor-${randomUUID()}`,
      });
      const request = await createSupportRequest(t.bot.database.db, {
        contactId: contact.id,
        conversationId: null,
        fullName: 'منى',
        nationalId: '1666666660',
        mobileE164: '+966512345678',
        city: 'الرياض',
        supportType: 'food',
        familySize: 2,
        monthlyIncome: 1000,
        description: 'هوية زوجي ٢١٢٣٤٥٦٧٨٤ وجواله 0551234567، نحتاج سلة غذائية',
      });
      const body = (await call(t.app, alice, 'GET', `/api/staff/requests/${request.id}`)).json();
      expect(body.request.description).toBe('هوية زوجي 2*******84 وجواله +9665******67، نحتاج سلة غذائية');
    });

    describe('reassignment', () => {
      const assign = (session: Session, requestId: string, staffId: string | null | undefined) =>
        call(
          t.app,
          session,
          'POST',
          `/api/staff/requests/${requestId}/assign`,
          staffId === undefined ? {} : { staffId },
        );
      const status = (session: Session, requestId: string, to: string) =>
        call(t.app, session, 'POST', `/api/staff/requests/${requestId}/status`, { status: to, note: null });
      const reveal = (session: Session, requestId: string) =>
        call(t.app, session, 'POST', `/api/staff/requests/${requestId}/reveal`, { field: 'national_id' });
      const assignAudit = (requestId: string) =>
        t.db
          .selectFrom('audit_log')
          .select(['staff_id', 'details'])
          .where('action', '=', 'request.assign')
          .where('target_id', '=', requestId)
          .orderBy('created_at')
          .execute();

      it('a supervisor hands a request to a colleague: the new handler acts on it, the old one is refused', async () => {
        const request = await newRequest({ name: 'لمى', nationalId: '1777777777' });
        expect((await status(alice, request.id, 'under_review')).statusCode).toBe(200);
        const notices = () =>
          t.db.selectFrom('follow_ups').select('id').where('request_id', '=', request.id).execute();
        const noticesBefore = (await notices()).length;

        const moved = await assign(supervisor, request.id, bob.staff.id);
        expect(moved.statusCode).toBe(200);
        const body = moved.json();
        expect(body.request).toMatchObject({
          id: request.id,
          status: 'under_review',
          assignedTo: { id: bob.staff.id, name: 'Bob' },
          nationalIdMasked: '1*******77',
        });
        // Not a status change: no history entry, and the beneficiary is not told.
        expect(body.history).toHaveLength(2);
        expect(await notices()).toHaveLength(noticesBefore);
        expect(await assignAudit(request.id)).toEqual([
          { staff_id: supervisor.staff.id, details: { from: alice.staff.id, to: bob.staff.id } },
        ]);
        // The request's page shows the change of handler, from the audit log.
        expect(body.assignments).toEqual([
          {
            from: { id: alice.staff.id, name: 'Alice' },
            to: { id: bob.staff.id, name: 'Bob' },
            by: { id: supervisor.staff.id, name: expect.any(String) },
            at: expect.any(String),
          },
        ]);

        // Bob handles it now; Alice is a colleague to it.
        expect((await reveal(bob, request.id)).statusCode).toBe(200);
        const byBob = await status(bob, request.id, 'needs_info');
        expect(byBob.statusCode).toBe(200);
        expect(byBob.json().request.assignedTo).toEqual({ id: bob.staff.id, name: 'Bob' });
        const byAlice = await status(alice, request.id, 'under_review');
        expect(byAlice.statusCode).toBe(403);
        expect(byAlice.json()).toMatchObject({
          error: 'forbidden',
          assignedTo: { id: bob.staff.id, name: 'Bob' },
        });
        expect((await reveal(alice, request.id)).statusCode).toBe(403);

        // The same handler again changes nothing and is not audited twice.
        expect((await assign(supervisor, request.id, bob.staff.id)).statusCode).toBe(200);
        expect(await assignAudit(request.id)).toHaveLength(1);
      });

      it('is for supervisors and admins only (403 for an agent, even their own request)', async () => {
        const request = await newRequest({ name: 'سلمى', nationalId: '1888888885' });
        expect((await status(alice, request.id, 'under_review')).statusCode).toBe(200);
        const refused = await assign(alice, request.id, bob.staff.id);
        expect(refused.statusCode).toBe(403);
        expect(refused.json()).toEqual({ error: 'forbidden', message: 'this needs the supervisor role' });
        const unassignRefused = await assign(alice, request.id, null);
        expect(unassignRefused.statusCode).toBe(403);
        expect(
          (await call(t.app, alice, 'GET', `/api/staff/requests/${request.id}`)).json().request,
        ).toMatchObject({
          assignedTo: { id: alice.staff.id, name: 'Alice' },
        });
        expect(await assignAudit(request.id)).toEqual([]);

        const admin = await login(t.app, await createStaff(t.db, 'admin', 'Amal'));
        const byAdmin = await assign(admin, request.id, supervisor.staff.id);
        expect(byAdmin.statusCode).toBe(200);
        expect(byAdmin.json().request.assignedTo).toEqual({ id: supervisor.staff.id, name: 'Sam' });
        expect(await assignAudit(request.id)).toEqual([
          { staff_id: admin.staff.id, details: { from: alice.staff.id, to: supervisor.staff.id } },
        ]);
      });

      it('refuses an unknown or disabled account (400) and a malformed body; unknown request 404', async () => {
        const request = await newRequest({ name: 'دانة', nationalId: '1999999993' });
        expect((await status(alice, request.id, 'under_review')).statusCode).toBe(200);
        const disabled = await createStaff(t.db, 'agent', 'Dalia');
        await t.db
          .updateTable('staff_accounts')
          .set({ disabled: true })
          .where('id', '=', disabled.id)
          .execute();

        for (const target of [randomUUID(), disabled.id]) {
          const refused = await assign(supervisor, request.id, target);
          expect(refused.statusCode).toBe(400);
          expect(refused.json()).toEqual({
            error: 'invalid_assignee',
            message: 'the new handler must be an active staff account',
            staffId: target,
          });
        }
        expect((await assign(supervisor, request.id, 'not-a-uuid')).json()).toMatchObject({
          error: 'invalid',
        });
        expect((await assign(supervisor, request.id, undefined)).statusCode).toBe(400);
        expect((await assign(supervisor, randomUUID(), bob.staff.id)).statusCode).toBe(404);

        const after = (await call(t.app, supervisor, 'GET', `/api/staff/requests/${request.id}`)).json();
        expect(after.request.assignedTo).toEqual({ id: alice.staff.id, name: 'Alice' });
        expect(await assignAudit(request.id)).toEqual([]);
      });

      it('unassigns with null: the request is free for the next agent to take by a status change', async () => {
        const request = await newRequest({ name: 'رهف', nationalId: '1212121214' });
        expect((await status(alice, request.id, 'under_review')).statusCode).toBe(200);
        const freed = await assign(supervisor, request.id, null);
        expect(freed.statusCode).toBe(200);
        expect(freed.json().request).toMatchObject({ status: 'under_review', assignedTo: null });
        expect(freed.json().assignments.at(-1)).toMatchObject({ from: { id: alice.staff.id }, to: null });
        expect(await assignAudit(request.id)).toEqual([
          { staff_id: supervisor.staff.id, details: { from: alice.staff.id, to: null } },
        ]);
        // Nobody handles it: Alice may no longer reveal its numbers; Bob may take it.
        expect((await reveal(alice, request.id)).statusCode).toBe(403);
        const taken = await status(bob, request.id, 'needs_info');
        expect(taken.statusCode).toBe(200);
        expect(taken.json().request.assignedTo).toEqual({ id: bob.staff.id, name: 'Bob' });
      });
    });

    it('masks IDs and mobiles in staff notes as staff read them; the stored note stays as typed', async () => {
      const request = await newRequest({ name: 'جود', nationalId: '1313131312' });
      const note = `هوية الزوج 1000000008 وجواله 0551234567، وبالأرقام الهندية ${toArabicIndic('0551234567')}؛ الطلب ${request.reference} ومبلغ 2500`;
      const changed = await call(t.app, alice, 'POST', `/api/staff/requests/${request.id}/status`, {
        status: 'under_review',
        note,
      });
      expect(changed.statusCode).toBe(200);
      const masked = `هوية الزوج 1*******08 وجواله +9665******67، وبالأرقام الهندية +9665******67؛ الطلب ${request.reference} ومبلغ 2500`;
      expect(changed.json().history.at(-1).note).toBe(masked);
      for (const session of [alice, supervisor]) {
        const detail = await call(t.app, session, 'GET', `/api/staff/requests/${request.id}`);
        expect(detail.json().history.at(-1)).toMatchObject({ status: 'under_review', note: masked });
        expect(detail.body).not.toContain('1000000008');
        expect(detail.body).not.toContain('0551234567');
        expect(detail.body).not.toContain(toArabicIndic('0551234567'));
      }
      const stored = await t.db
        .selectFrom('request_status_history')
        .select('note')
        .where('request_id', '=', request.id)
        .where('status', '=', 'under_review')
        .executeTakeFirstOrThrow();
      expect(stored.note).toBe(note);
      // No export carries notes; the requests CSV shows none of these numbers either.
      const csv = await call(
        t.app,
        supervisor,
        'GET',
        `/api/staff/reports/requests.csv?q=${request.reference}`,
      );
      expect(csv.statusCode).toBe(200);
      expect(csv.body).toContain(request.reference);
      expect(csv.body).not.toContain('0551234567');
      expect(csv.body).not.toContain('1000000008');
    });

    it('lists the beneficiary’s requests in the inbox', async () => {
      const visitor = `visitor-${randomUUID()}`;
      const { conversationId } = await t.bot.inbox.receive({
        channel: 'web',
        externalUserId: visitor,
        externalMessageId: randomUUID(),
        text: 'أبي أكلم موظف',
      });
      const { contact_id } = await t.db
        .selectFrom('conversations')
        .select('contact_id')
        .where('id', '=', conversationId)
        .executeTakeFirstOrThrow();
      const request = await createSupportRequest(t.bot.database.db, {
        contactId: contact_id,
        conversationId,
        fullName: 'ريم',
        nationalId: '1333333331',
        mobileE164: '+966512345678',
        city: 'مكة',
        supportType: 'health',
        familySize: 2,
        monthlyIncome: 0,
        description: 'علاج',
      });
      const inbox = (await call(t.app, alice, 'GET', '/api/staff/conversations?view=waiting')).json();
      const item = inbox.conversations.find((c: { id: string }) => c.id === conversationId);
      expect(item.requests).toEqual([{ reference: request.reference, status: 'submitted' }]);
      const view = (await call(t.app, alice, 'GET', `/api/staff/conversations/${conversationId}`)).json();
      expect(view.requests).toEqual([
        {
          id: request.id,
          reference: request.reference,
          status: 'submitted',
          supportType: 'health',
          createdAt: request.created_at.toISOString(),
        },
      ]);
    });
  });
}
