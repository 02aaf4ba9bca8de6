import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { call, createStaff, createStaffTestApp, login, type Session, type StaffTestApp } from './support.js';

interface ViewMessage {
  direction: string;
  sender: string;
  text: string;
}

/** Every way the test beneficiary's ID (1234567897) and mobile (+966509876543) could show. */
const RAW_NUMBERS = ['1234567897', '١٢٣٤٥٦٧٨٩٧', '509876543', '٩٨٧ ٦٥٤٣', '٩٨٧٦٥٤٣', '9876543'];

for (const kind of DIALECTS) {
  describe(`personal numbers in message texts, as staff see them (${kind})`, () => {
    let t: StaffTestApp;
    let agent: Session;

    beforeAll(async () => {
      t = await createStaffTestApp(kind);
      agent = await login(t.app, await createStaff(t.db, 'agent', 'Alice'));
    });
    afterAll(() => t.close());

    it('masks the ID and mobile of an intake in every message, keeps the rest and the stored text as typed', async () => {
      const visitor = `visitor-${randomUUID()}`;
      const say = (text: string) =>
        t.bot.inbox.receive({
          channel: 'web',
          externalUserId: visitor,
          externalMessageId: randomUUID(),
          text,
        });
      let conversationId = '';
      for (const answer of [
        'أبي أقدم طلب دعم',
        'فاطمة علي الغامدي',
        '١٢٣٤٥٦٧٨٩٧',
        '٠٥٠ ٩٨٧ ٦٥٤٣',
        'مكة المكرمة',
        'تعليم',
        '٣',
        '٢٥٠٠',
        'رسوم دراسية لابني في الجامعة',
        'نعم',
      ]) {
        conversationId = (await say(answer)).conversationId;
      }
      const { reference } = await t.db
        .selectFrom('support_requests')
        .select('reference')
        .where('conversation_id', '=', conversationId)
        .executeTakeFirstOrThrow();
      await say('أبي أكلم موظف');
      await say(`رقم طلبي ${reference} وجوالي 0509876543`);

      const response = await call(t.app, agent, 'GET', `/api/staff/conversations/${conversationId}`);
      expect(response.statusCode).toBe(200);
      for (const raw of RAW_NUMBERS) expect(response.body).not.toContain(raw);
      const messages: ViewMessage[] = response.json().messages;
      const texts = messages.map((m) => m.text);
      // The answers themselves, masked as the console masks these numbers elsewhere.
      expect(texts).toContain('1*******97');
      expect(texts).toContain('+9665******43');
      // The bot's summary repeated the mobile: masked there too. The rest of it reads as before.
      const summary = messages.find((m) => m.sender === 'bot' && m.text.includes('فاطمة علي الغامدي'));
      expect(summary?.text).toContain('+9665******43');
      expect(summary?.text).toContain('مكة المكرمة');
      // Text that is not personal stays: Arabic answers, amounts, the reference (bot's and typed).
      expect(texts).toContain('فاطمة علي الغامدي');
      expect(texts).toContain('رسوم دراسية لابني في الجامعة');
      expect(texts).toContain('٢٥٠٠');
      expect(texts.some((text) => text.includes(`رقم الطلب: ${reference}`))).toBe(true);
      expect(texts.at(-1)).toBe(`رقم طلبي ${reference} وجوالي +9665******43`);

      // The inbox's preview of the last message, likewise.
      const inbox = (await call(t.app, agent, 'GET', '/api/staff/conversations?view=waiting')).json();
      const item = inbox.conversations.find((c: { id: string }) => c.id === conversationId);
      expect(item.lastMessage.text).toBe(`رقم طلبي ${reference} وجوالي +9665******43`);

      // Stored exactly as typed.
      const stored = await t.db
        .selectFrom('messages')
        .select('text')
        .where('conversation_id', '=', conversationId)
        .where('direction', '=', 'in')
        .execute();
      expect(stored.map((m) => m.text)).toEqual(
        expect.arrayContaining(['١٢٣٤٥٦٧٨٩٧', '٠٥٠ ٩٨٧ ٦٥٤٣', `رقم طلبي ${reference} وجوالي 0509876543`]),
      );
    });

    it('never shows part of a number the inbox preview cuts at 200 characters', async () => {
      const visitor = `visitor-${randomUUID()}`;
      const say = (text: string) =>
        t.bot.inbox.receive({
          channel: 'web',
          externalUserId: visitor,
          externalMessageId: randomUUID(),
          text,
        });
      const { conversationId } = await say('أبي أكلم موظف');
      const filler = 'ا'.repeat(195);
      await say(`${filler} 1234567897 ثم نص بعده`);
      const inbox = (await call(t.app, agent, 'GET', '/api/staff/conversations?view=waiting')).json();
      const item = inbox.conversations.find((c: { id: string }) => c.id === conversationId);
      expect(item.lastMessage.text).toBe(`${filler} 1***…`);
      expect(item.lastMessage.text).not.toContain('1234');
    });
  });
}
