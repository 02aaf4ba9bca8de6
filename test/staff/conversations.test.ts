import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { call, createStaff, createStaffTestApp, login, type Session, type StaffTestApp } from './support.js';

interface InboxItem {
  id: string;
  channel: string;
  mode: string;
  assignedTo: { id: string; name: string } | null;
  contactName: string | null;
  waitingSince: string | null;
  lastMessage: { text: string; direction: string; sender: string; at: string } | null;
  requests: Array<{ reference: string; status: string }>;
}

for (const kind of DIALECTS) {
  describe(`staff inbox and conversations (${kind})`, () => {
    let t: StaffTestApp;
    let alice: Session;
    let bob: Session;
    let supervisor: Session;

    /** A web visitor who asks for a person: the real bot opens an escalation (mode 'waiting'). */
    async function waitingConversation(): Promise<{ id: string; visitor: string }> {
      const visitor = `visitor-${randomUUID()}`;
      const result = await t.bot.inbox.receive({
        channel: 'web',
        externalUserId: visitor,
        externalMessageId: randomUUID(),
        text: 'أبي أكلم موظف',
      });
      return { id: result.conversationId, visitor };
    }

    async function say(visitor: string, text: string) {
      return t.bot.inbox.receive({
        channel: 'web',
        externalUserId: visitor,
        externalMessageId: randomUUID(),
        text,
      });
    }

    async function inbox(session: Session, view: string): Promise<InboxItem[]> {
      const response = await call(t.app, session, 'GET', `/api/staff/conversations?view=${view}`);
      expect(response.statusCode).toBe(200);
      return response.json().conversations;
    }

    async function auditOf(conversationId: string) {
      return t.db
        .selectFrom('audit_log')
        .select(['action', 'staff_id', 'details'])
        .where('target_type', '=', 'conversation')
        .where('target_id', '=', conversationId)
        .orderBy('created_at')
        .execute();
    }

    beforeAll(async () => {
      t = await createStaffTestApp(kind);
      alice = await login(t.app, await createStaff(t.db, 'agent', 'Alice'));
      bob = await login(t.app, await createStaff(t.db, 'agent', 'Bob'));
      supervisor = await login(t.app, await createStaff(t.db, 'supervisor', 'Sam'));
    });
    afterAll(() => t.close());

    it('lists a conversation waiting for staff in the waiting and open views, not yet in mine', async () => {
      const { id } = await waitingConversation();
      const waiting = await inbox(alice, 'waiting');
      const item = waiting.find((c) => c.id === id);
      expect(item).toMatchObject({ channel: 'web', mode: 'waiting', assignedTo: null, requests: [] });
      expect(Date.parse(item?.waitingSince ?? '')).not.toBeNaN();
      expect(item?.lastMessage).toMatchObject({ direction: 'out', sender: 'bot' });
      expect((await inbox(alice, 'open')).map((c) => c.id)).toContain(id);
      expect((await inbox(alice, 'mine')).map((c) => c.id)).not.toContain(id);
      // Oldest first in the waiting view.
      const { id: later } = await waitingConversation();
      const ids = (await inbox(alice, 'waiting')).map((c) => c.id);
      expect(ids.indexOf(id)).toBeLessThan(ids.indexOf(later));
      expect((await call(t.app, alice, 'GET', '/api/staff/conversations?view=all')).statusCode).toBe(400);
    });

    it('takes over: mode staff, assigned to me (and the escalation), audited; the bot stays silent', async () => {
      const { id, visitor } = await waitingConversation();
      const response = await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/takeover`, {});
      expect(response.statusCode).toBe(200);
      expect(response.json().conversation).toMatchObject({
        id,
        mode: 'staff',
        assignedTo: { id: alice.staff.id, name: 'Alice' },
      });
      const escalation = await t.db
        .selectFrom('escalations')
        .select(['assigned_to', 'status'])
        .where('conversation_id', '=', id)
        .executeTakeFirstOrThrow();
      expect(escalation).toEqual({ assigned_to: alice.staff.id, status: 'open' });
      expect((await inbox(alice, 'mine')).map((c) => c.id)).toContain(id);
      expect((await inbox(alice, 'waiting')).map((c) => c.id)).not.toContain(id);
      expect((await auditOf(id)).map((row) => row.action)).toEqual(['conversation.takeover']);
      // Taking over again is harmless.
      expect(
        (await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/takeover`, {})).statusCode,
      ).toBe(200);
      const quiet = await say(visitor, 'مرحبا، هل أحد هنا؟');
      expect(quiet.replies).toEqual([]);
    });

    it('of two staff taking over at once, exactly one wins and the other is told who has it', async () => {
      const { id } = await waitingConversation();
      const [first, second] = await Promise.all([
        call(t.app, alice, 'POST', `/api/staff/conversations/${id}/takeover`, {}),
        call(t.app, bob, 'POST', `/api/staff/conversations/${id}/takeover`, {}),
      ]);
      const codes = [first.statusCode, second.statusCode].sort();
      expect(codes).toEqual([200, 409]);
      const winner = first.statusCode === 200 ? alice : bob;
      const loser = first.statusCode === 200 ? second : first;
      expect(loser.json()).toMatchObject({
        error: 'already_assigned',
        assignedTo: { id: winner.staff.id, name: winner.staff.name },
      });
      expect(loser.json().message).toContain(winner.staff.name);
      const row = await t.db
        .selectFrom('conversations')
        .select('assigned_to')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.assigned_to).toBe(winner.staff.id);
    });

    it('replies as the assignee: stored as a pending staff message naming its author; audited without the text', async () => {
      const { id } = await waitingConversation();
      await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/takeover`, {});
      const text = 'أهلًا، معكم أليس من علاقات المستفيدين';
      const response = await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/reply`, { text });
      expect(response.statusCode).toBe(200);
      const { message } = response.json();
      expect(message).toMatchObject({ deliveryStatus: 'pending' });
      expect(Date.parse(message.at)).not.toBeNaN();
      const view = (await call(t.app, alice, 'GET', `/api/staff/conversations/${id}`)).json();
      const last = view.messages.at(-1);
      expect(last).toMatchObject({
        id: message.id,
        direction: 'out',
        sender: 'staff',
        staff: { id: alice.staff.id, name: 'Alice' },
        text,
        deliveryStatus: 'pending',
      });
      const audit = await auditOf(id);
      expect(audit.at(-1)).toEqual({
        action: 'conversation.reply',
        staff_id: alice.staff.id,
        details: { messageId: message.id },
      });
      expect(JSON.stringify(audit)).not.toContain(text);
      const escalation = await t.db
        .selectFrom('escalations')
        .select('first_response_at')
        .where('conversation_id', '=', id)
        .executeTakeFirstOrThrow();
      expect(escalation.first_response_at).toBeInstanceOf(Date);
      expect(
        (await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/reply`, { text: '   ' }))
          .statusCode,
      ).toBe(400);
    });

    it('stops an agent acting on another agent’s conversation; a supervisor may', async () => {
      const { id } = await waitingConversation();
      await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/takeover`, {});
      for (const [action, body] of [
        ['reply', { text: 'hello' }],
        ['transfer', { staffId: bob.staff.id }],
        ['handback', {}],
        ['close', {}],
      ] as const) {
        const response = await call(t.app, bob, 'POST', `/api/staff/conversations/${id}/${action}`, body);
        expect(response.statusCode, action).toBe(403);
        expect(response.json().error).toBe('forbidden');
      }
      const takeover = await call(t.app, bob, 'POST', `/api/staff/conversations/${id}/takeover`, {});
      expect(takeover.statusCode).toBe(409);
      const supervised = await call(t.app, supervisor, 'POST', `/api/staff/conversations/${id}/reply`, {
        text: 'مشرف: نتابع طلبكم',
      });
      expect(supervised.statusCode).toBe(200);
      // Nothing Bob tried left a trace but the refusals.
      expect(
        (await auditOf(id)).map(
          (row) => `${row.action}:${row.staff_id === supervisor.staff.id ? 'sup' : 'alice'}`,
        ),
      ).toEqual(['conversation.takeover:alice', 'conversation.reply:sup']);
    });

    it('an unassigned conversation: agents must take it over before replying; a supervisor’s reply takes it', async () => {
      const { id } = await waitingConversation();
      const refused = await call(t.app, bob, 'POST', `/api/staff/conversations/${id}/reply`, { text: 'hi' });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().message).toContain('take this conversation over');
      expect(
        (await call(t.app, supervisor, 'POST', `/api/staff/conversations/${id}/reply`, { text: 'hi' }))
          .statusCode,
      ).toBe(200);
      // Answered, so no longer waiting for anyone: with the supervisor, out of the waiting queue.
      const conversation = await t.db
        .selectFrom('conversations')
        .select(['mode', 'assigned_to'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(conversation).toEqual({ mode: 'staff', assigned_to: supervisor.staff.id });
      expect((await inbox(supervisor, 'waiting')).map((item) => item.id)).not.toContain(id);
      expect((await auditOf(id)).map((row) => row.action)).toEqual(
        expect.arrayContaining(['conversation.takeover', 'conversation.reply']),
      );
    });

    it('lists an agent’s active colleagues to transfer to, without account settings', async () => {
      const response = await call(t.app, alice, 'GET', '/api/staff/colleagues');
      expect(response.statusCode).toBe(200);
      const colleagues = response.json().colleagues as Array<Record<string, unknown>>;
      const ids = colleagues.map((colleague) => colleague.id);
      expect(ids).toContain(bob.staff.id);
      expect(ids).toContain(supervisor.staff.id);
      expect(ids).not.toContain(alice.staff.id);
      expect(Object.keys(colleagues[0] ?? {}).sort()).toEqual(['email', 'id', 'name', 'role']);
      // A disabled account is nobody's colleague.
      await t.db
        .updateTable('staff_accounts')
        .set({ disabled: true })
        .where('id', '=', bob.staff.id)
        .execute();
      try {
        const after = await call(t.app, alice, 'GET', '/api/staff/colleagues');
        expect(after.json().colleagues.map((c: { id: string }) => c.id)).not.toContain(bob.staff.id);
      } finally {
        await t.db
          .updateTable('staff_accounts')
          .set({ disabled: false })
          .where('id', '=', bob.staff.id)
          .execute();
      }
      expect((await t.app.inject({ method: 'GET', url: '/api/staff/colleagues' })).statusCode).toBe(401);
    });

    it('transfers to a colleague, who may then act; the previous holder may not', async () => {
      const { id } = await waitingConversation();
      await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/takeover`, {});
      const moved = await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/transfer`, {
        staffId: bob.staff.id,
      });
      expect(moved.statusCode).toBe(200);
      expect(moved.json().conversation.assignedTo).toEqual({ id: bob.staff.id, name: 'Bob' });
      const escalation = await t.db
        .selectFrom('escalations')
        .select('assigned_to')
        .where('conversation_id', '=', id)
        .executeTakeFirstOrThrow();
      expect(escalation.assigned_to).toBe(bob.staff.id);
      expect(
        (await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/reply`, { text: 'x' })).statusCode,
      ).toBe(403);
      expect(
        (await call(t.app, bob, 'POST', `/api/staff/conversations/${id}/reply`, { text: 'x' })).statusCode,
      ).toBe(200);
      // A supervisor moves anyone's conversation.
      const back = await call(t.app, supervisor, 'POST', `/api/staff/conversations/${id}/transfer`, {
        staffId: alice.staff.id,
      });
      expect(back.statusCode).toBe(200);
      const audit = await auditOf(id);
      expect(audit.filter((row) => row.action === 'conversation.transfer').map((row) => row.details)).toEqual(
        [
          { from: alice.staff.id, to: bob.staff.id },
          { from: bob.staff.id, to: alice.staff.id },
        ],
      );
      const nobody = await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/transfer`, {
        staffId: randomUUID(),
      });
      expect(nobody.statusCode).toBe(404);
    });

    it('hands back to the bot: the beneficiary is told, and the bot answers again', async () => {
      const { id, visitor } = await waitingConversation();
      await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/takeover`, {});
      const response = await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/handback`, {});
      expect(response.statusCode).toBe(200);
      expect(response.json().conversation).toMatchObject({ id, mode: 'bot', assignedTo: null });
      const view = (await call(t.app, alice, 'GET', `/api/staff/conversations/${id}`)).json();
      expect(
        view.messages.some(
          (m: { sender: string; text: string }) => m.sender === 'bot' && m.text.includes('عدتم'),
        ),
      ).toBe(true);
      expect(view.escalation.status).toBe('resolved');
      const answered = await say(visitor, 'السلام عليكم');
      expect(answered.replies.length).toBeGreaterThan(0);
      expect((await auditOf(id)).map((row) => row.action)).toEqual([
        'conversation.takeover',
        'conversation.handback',
      ]);
    });

    it('refuses a reply or hand-back while the bot runs the conversation, until someone takes it over', async () => {
      const visitor = `visitor-${randomUUID()}`;
      const { conversationId: id } = await say(visitor, 'السلام عليكم');
      for (const action of ['reply', 'handback']) {
        const response = await call(t.app, supervisor, 'POST', `/api/staff/conversations/${id}/${action}`, {
          text: 'x',
        });
        expect(response.statusCode, action).toBe(409);
        expect(response.json().error).toBe('conflict');
      }
      expect(
        (await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/takeover`, {})).statusCode,
      ).toBe(200);
      expect(
        (await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/reply`, { text: 'x' })).statusCode,
      ).toBe(200);
    });

    it('closes: mode closed, nothing more can be done with it', async () => {
      const { id } = await waitingConversation();
      await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/takeover`, {});
      const closed = await call(t.app, alice, 'POST', `/api/staff/conversations/${id}/close`, {});
      expect(closed.statusCode).toBe(200);
      expect(closed.json().conversation.mode).toBe('closed');
      expect(closed.json().conversation.closedAt).not.toBeNull();
      const survey = await t.db
        .selectFrom('follow_ups')
        .select('kind')
        .where('conversation_id', '=', id)
        .where('kind', '=', 'rating_survey')
        .execute();
      expect(survey).toHaveLength(1);
      for (const action of ['takeover', 'reply', 'close', 'handback']) {
        const response = await call(t.app, supervisor, 'POST', `/api/staff/conversations/${id}/${action}`, {
          text: 'x',
        });
        expect(response.statusCode, action).toBe(409);
        expect(response.json().error).toBe('conversation_closed');
      }
      expect((await inbox(alice, 'open')).map((c) => c.id)).not.toContain(id);
    });

    it('returns beneficiary text verbatim as JSON (escaping is the console’s job)', async () => {
      const { id, visitor } = await waitingConversation();
      const hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>';
      await say(visitor, hostile);
      const response = await call(t.app, alice, 'GET', `/api/staff/conversations/${id}`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      const view = response.json();
      expect(view.messages.at(-1)).toMatchObject({
        direction: 'in',
        sender: 'contact',
        text: hostile,
        staff: null,
      });
      const listed = (await inbox(alice, 'waiting')).find((c) => c.id === id);
      expect(listed?.lastMessage).toMatchObject({ text: hostile, direction: 'in', sender: 'contact' });
    });

    it('shows the contact’s history across channels, oldest first, with requests and the escalation', async () => {
      const { id } = await waitingConversation();
      const conversation = await t.db
        .selectFrom('conversations')
        .select('contact_id')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      // The same person on Telegram earlier (identities of one contact are linked by a verified phone).
      await t.db
        .updateTable('contacts')
        .set({ phone_e164: '+966512345678', phone_verified: true })
        .where('id', '=', conversation.contact_id)
        .execute();
      const identity = await t.db
        .insertInto('channel_identities')
        .values({
          contact_id: conversation.contact_id,
          channel: 'telegram',
          external_id: `tg-${randomUUID()}`,
          display_name: 'أبو محمد',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const earlier = await t.db
        .insertInto('conversations')
        .values({
          contact_id: conversation.contact_id,
          identity_id: identity.id,
          channel: 'telegram',
          mode: 'closed',
          state: '{}',
          locale: 'ar',
          created_at: new Date(Date.now() - 86_400_000),
          closed_at: new Date(Date.now() - 86_000_000),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await t.db
        .insertInto('messages')
        .values({
          conversation_id: earlier.id,
          direction: 'in',
          sender: 'contact',
          channel: 'telegram',
          text: 'رسالة قديمة من تيليجرام',
          choices: '[]',
          created_at: new Date(Date.now() - 86_400_000),
        })
        .execute();
      const view = (await call(t.app, alice, 'GET', `/api/staff/conversations/${id}`)).json();
      expect(view.conversation).toMatchObject({ id, channel: 'web', mode: 'waiting', assignedTo: null });
      expect(view.contact).toMatchObject({
        id: conversation.contact_id,
        name: 'أبو محمد',
        phoneMasked: '+9665******78',
      });
      expect(view.contact.channels.map((c: { channel: string }) => c.channel).sort()).toEqual([
        'telegram',
        'web',
      ]);
      expect(JSON.stringify(view)).not.toContain('512345678');
      expect(view.messages[0]).toMatchObject({
        channel: 'telegram',
        text: 'رسالة قديمة من تيليجرام',
        conversationId: earlier.id,
      });
      const times = view.messages.map((m: { at: string }) => Date.parse(m.at));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(view.escalation).toMatchObject({ status: 'open' });
      expect(view.requests).toEqual([]);
    });

    it('names a web visitor without a profile name by their newest support request', async () => {
      const { id } = await waitingConversation();
      const { contact_id } = await t.db
        .selectFrom('conversations')
        .select('contact_id')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect((await inbox(alice, 'waiting')).find((c) => c.id === id)?.contactName).toBeNull();
      const request = (name: string, reference: string, at: Date) => ({
        reference,
        contact_id,
        conversation_id: id,
        full_name: name,
        national_id: '1000000008',
        mobile_e164: '+966512345678',
        city: 'الرياض',
        support_type: 'food' as const,
        family_size: 3,
        monthly_income: 1000,
        description: 'x',
        status: 'submitted' as const,
        created_at: at,
      });
      await t.db
        .insertInto('support_requests')
        .values([
          request('الاسم القديم', '10000009', new Date(Date.now() - 86_400_000)),
          request('فاطمة أحمد الزهراني', '10000017', new Date()),
        ])
        .execute();
      expect((await inbox(alice, 'waiting')).find((c) => c.id === id)?.contactName).toBe(
        'فاطمة أحمد الزهراني',
      );
      const view = (await call(t.app, alice, 'GET', `/api/staff/conversations/${id}`)).json();
      expect(view.contact.name).toBe('فاطمة أحمد الزهراني');
    });

    it('answers 404 for an unknown conversation and 400 for a malformed id', async () => {
      expect((await call(t.app, alice, 'GET', `/api/staff/conversations/${randomUUID()}`)).statusCode).toBe(
        404,
      );
      expect(
        (await call(t.app, alice, 'POST', `/api/staff/conversations/${randomUUID()}/takeover`, {}))
          .statusCode,
      ).toBe(404);
      expect((await call(t.app, alice, 'GET', '/api/staff/conversations/not-a-uuid')).statusCode).toBe(400);
    });
  });
}
