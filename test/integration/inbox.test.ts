import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/channels/types.js';
import { hasValidLuhn } from '../../src/domain/luhn.js';
import { displayPhone } from '../../src/domain/phone.js';
import { createSupportRequest } from '../../src/storage/repositories/requests.js';
import { createTestBot, type TestBot } from '../support/bot.js';
import { DIALECTS } from '../support/databases.js';
import { sampleRequest } from '../support/intake.js';

describe.each(DIALECTS)('inbox on %s', (dialect) => {
  let bot: TestBot;

  beforeAll(async () => {
    bot = await createTestBot(dialect);
  });
  afterAll(async () => {
    await bot.drop();
  });

  /** A beneficiary of their own for each test, sending numbered messages. */
  function beneficiary(channel: InboundMessage['channel'] = 'web') {
    const user = randomUUID();
    let sequence = 0;
    return {
      user,
      send: (text: string, id = `${user}:${++sequence}`) =>
        bot.inbox.receive({ channel, externalUserId: user, externalMessageId: id, text }),
    };
  }

  async function messagesOf(conversationId: string) {
    return bot.database.db
      .selectFrom('messages')
      .select(['direction', 'text', 'node_id', 'reply_to_id'])
      .where('conversation_id', '=', conversationId)
      .orderBy('created_at')
      .execute();
  }

  it('stores the inbound message exactly as sent, with its replies after it', async () => {
    const person = beneficiary();
    const text = '  السلام عليكم  ';
    const result = await person.send(text);
    const stored = await messagesOf(result.conversationId);
    expect(stored[0]).toMatchObject({ direction: 'in', text });
    expect(stored.slice(1).map((m) => m.direction)).toEqual(result.replies.map(() => 'out'));
    expect(stored.slice(1).every((m) => m.reply_to_id === result.inboundId)).toBe(true);
    expect(result.replies.at(-1)?.nodeId).toBe('menu');
  });

  it('recognises a redelivered message: nothing is processed twice, the first replies are returned', async () => {
    const person = beneficiary('telegram');
    await person.send('مرحبا');
    const first = await person.send('٢', 'same-id');
    const again = await person.send('٢', 'same-id');
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.replies.map((r) => r.text)).toEqual(first.replies.map((r) => r.text));
    const stored = await messagesOf(first.conversationId);
    expect(stored.filter((m) => m.direction === 'in')).toHaveLength(2);
    // The conversation moved once: the next answer is taken as the name, not as a second «٢».
    const next = await person.send('محمد عبدالله القحطاني');
    expect(next.replies.at(-1)?.nodeId).toBe('national_id');
  });

  it('serialises concurrent messages from one new beneficiary: one contact, one conversation, every message kept', async () => {
    const user = randomUUID();
    const texts = ['السلام عليكم', 'القائمة', '١', 'القائمة', '٤', 'القائمة', '٣', 'القائمة'];
    const results = await Promise.all(
      texts.map((text, index) =>
        bot.inbox.receive({
          channel: 'whatsapp',
          externalUserId: user,
          externalMessageId: `${user}:${index}`,
          text,
        }),
      ),
    );
    expect(new Set(results.map((r) => r.conversationId)).size).toBe(1);
    const identities = await bot.database.db
      .selectFrom('channel_identities')
      .select('contact_id')
      .where('external_id', '=', user)
      .execute();
    expect(identities).toHaveLength(1);
    const stored = await messagesOf(results[0]?.conversationId as string);
    expect(
      stored
        .filter((m) => m.direction === 'in')
        .map((m) => m.text)
        .sort(),
    ).toEqual([...texts].sort());
    expect(results.every((r) => r.replies.length > 0)).toBe(true);
  });

  it('creates the request only on attestation, with the mobile number in E.164 and a Luhn reference', async () => {
    const person = beneficiary();
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
    ]) {
      await person.send(answer);
    }
    const before = await bot.database.db
      .selectFrom('support_requests')
      .select('id')
      .where('full_name', '=', 'فاطمة علي الغامدي')
      .execute();
    expect(before).toHaveLength(0);
    const submitted = await person.send('نعم');
    expect(submitted.replies.at(-1)?.nodeId).toBe('submitted');
    const request = await bot.database.db
      .selectFrom('support_requests')
      .selectAll()
      .where('full_name', '=', 'فاطمة علي الغامدي')
      .executeTakeFirstOrThrow();
    expect(request).toMatchObject({
      national_id: '1234567897',
      mobile_e164: '+966509876543',
      support_type: 'education',
      family_size: 3,
      status: 'submitted',
    });
    expect(Number(request.monthly_income)).toBe(2500);
    expect(request.reference).toMatch(/^[1-9]\d{7}$/);
    expect(hasValidLuhn(request.reference)).toBe(true);
    expect(submitted.replies.at(-1)?.text).toContain(request.reference);
    const history = await bot.database.db
      .selectFrom('request_status_history')
      .select('status')
      .where('request_id', '=', request.id)
      .execute();
    expect(history.map((h) => h.status)).toEqual(['submitted']);
  });

  it('lets a WhatsApp beneficiary confirm the number WhatsApp vouches for instead of typing it', async () => {
    const user = `9665${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}@c.us`;
    const phone = `+${user.slice(0, 12)}`;
    let sequence = 0;
    const send = (text: string) =>
      bot.inbox.receive({
        channel: 'whatsapp',
        externalUserId: user,
        externalMessageId: `${user}:${++sequence}`,
        text,
        verifiedPhone: phone,
      });
    await send('أبي أقدم طلب دعم');
    await send('نورة محمد الشهري');
    const question = await send('2345678904');
    expect(question.replies.at(-1)).toMatchObject({ nodeId: 'mobile', input: 'phone' });
    expect(question.replies.at(-1)?.choices).toEqual([`استخدام رقمي ${displayPhone(phone)}`]);
    const confirmed = await send('نعم');
    expect(confirmed.replies.at(-1)?.nodeId).toBe('city');

    // On the web nothing is vouched for: the question has no such choice and «نعم» is not a number.
    const web = beneficiary();
    for (const text of ['أبي أقدم طلب دعم', 'نورة محمد الشهري', '2345678904']) await web.send(text);
    const typed = await web.send('نعم');
    expect(typed.replies.at(-1)?.nodeId).toBe('mobile');
    expect(typed.replies[0]?.text).toContain('يُرجى كتابة رقم جوالكم بالأرقام');
  });

  it('shows the same requests on WhatsApp and on Telegram once the Telegram user proves the same phone', async () => {
    const number = `9665${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const phone = `+${number}`;
    let sequence = 0;
    const whatsapp = (text: string) =>
      bot.inbox.receive({
        channel: 'whatsapp',
        externalUserId: `${number}@c.us`,
        externalMessageId: `wa-${number}-${++sequence}`,
        text,
        verifiedPhone: phone,
      });
    for (const text of [
      'أبي أقدم طلب دعم',
      'عبدالله سالم المطيري',
      '1000000008',
      'نعم',
      'الطائف',
      'صحي',
      '2',
      '1000',
      'أحتاج إلى أدوية شهرية لوالدتي',
    ])
      await whatsapp(text);
    const submitted = await whatsapp('نعم');
    const reference = /رقم الطلب: (\d{8})/.exec(submitted.replies.at(-1)?.text ?? '')?.[1] as string;
    expect(reference).toMatch(/^\d{8}$/);

    const chat = String(Math.floor(Math.random() * 1e9));
    const telegram = (text: string, verifiedPhone?: string) =>
      bot.inbox.receive({
        channel: 'telegram',
        externalUserId: chat,
        externalMessageId: `${chat}:${++sequence}`,
        text,
        ...(verifiedPhone ? { verifiedPhone } : {}),
      });
    expect((await telegram('حالة طلبي')).replies.at(-1)?.nodeId).toBe('none');
    await telegram(phone, phone); // the person shares their own contact
    const list = await telegram('حالة طلبي');
    expect(list.replies.at(-1)?.nodeId).toBe('list');
    expect(list.replies.at(-1)?.text).toContain(reference);
  });

  it('names how many requests a beneficiary has and lists the latest ten, newest first', async () => {
    const person = beneficiary();
    const { conversationId } = await person.send('السلام عليكم');
    const { contact_id } = await bot.database.db
      .selectFrom('conversations')
      .select('contact_id')
      .where('id', '=', conversationId)
      .executeTakeFirstOrThrow();
    const references: string[] = [];
    for (let i = 0; i < 12; i++) {
      const request = await createSupportRequest(bot.database.db, sampleRequest(contact_id));
      // One hour apart, the first the oldest.
      await sql`update support_requests set created_at = ${new Date(Date.UTC(2026, 0, 1, i))}
        where id = ${request.id}`.execute(bot.database.db);
      references.push(request.reference);
    }
    const list = (await person.send('حالة طلبي')).replies.at(-1);
    expect(list?.nodeId).toBe('list');
    expect(list?.text).toContain('لديكم ١٢ طلبًا، وهذه أحدث ١٠ طلبات منها:');
    const listed = [...(list?.text ?? '').matchAll(/\d{8}/g)].map((match) => match[0]);
    expect(listed).toEqual(references.slice(2).reverse());
  });

  it('flags ratings of 1–2 for a supervisor and keeps the comment', async () => {
    const person = beneficiary();
    await person.send('تقييم الخدمة');
    await person.send('١');
    const thanks = await person.send('لم يرد علي أحد منذ شهر');
    expect(thanks.replies.at(-1)?.nodeId).toBe('thanks');
    const rating = await bot.database.db
      .selectFrom('ratings')
      .selectAll()
      .where('conversation_id', '=', thanks.conversationId)
      .executeTakeFirstOrThrow();
    expect(rating).toMatchObject({ score: 1, flagged: true, comment: 'لم يرد علي أحد منذ شهر' });
  });

  it('opens an escalation on handoff, keeps later messages for staff, and closes it on cancel', async () => {
    const person = beneficiary();
    const waiting = await person.send('أبي أكلم موظف');
    const conversation = () =>
      bot.database.db
        .selectFrom('conversations')
        .select('mode')
        .where('id', '=', waiting.conversationId)
        .executeTakeFirstOrThrow();
    const escalation = () =>
      bot.database.db
        .selectFrom('escalations')
        .select('status')
        .where('conversation_id', '=', waiting.conversationId)
        .executeTakeFirstOrThrow();
    expect((await conversation()).mode).toBe('waiting');
    expect((await escalation()).status).toBe('open');
    const silent = await person.send('طلبي رقم ١٢٣ متأخر');
    expect(silent.replies).toEqual([]);
    expect((await messagesOf(waiting.conversationId)).some((m) => m.text === 'طلبي رقم ١٢٣ متأخر')).toBe(
      true,
    );
    await person.send('إلغاء');
    expect((await conversation()).mode).toBe('bot');
    expect((await escalation()).status).toBe('cancelled');
  });

  it.each([
    ['an empty message', ''],
    ['only spaces', '   '],
    ['a 10,000-character message', 'ا'.repeat(10_000)],
    ['only emoji', '😀🙏🌹'],
    ['bidi control characters', '\u202E\u2066مرحبا\u2069\u200F'],
    ['SQL', "'; DROP TABLE messages; --"],
    ['HTML', '<script>alert("x")</script><b>مرحبا</b>'],
    ['a lone surrogate-free astral mix', '𝔸𝕣𝕒𝕓𝕚𝕔 ١٢٣'],
  ])('answers %s clearly and stores it exactly as sent', async (_label, text) => {
    const person = beneficiary();
    const result = await person.send(text);
    expect(result.replies.length).toBeGreaterThan(0);
    for (const reply of result.replies) expect(reply.text.trim().length).toBeGreaterThan(0);
    const [inbound] = await messagesOf(result.conversationId);
    expect(inbound?.text).toBe(text);
    // The bot is still usable afterwards.
    const menu = await person.send('القائمة');
    expect(menu.replies.at(-1)?.nodeId).toBe('menu');
  });

  it('asks the same question again with a specific reason for HTML or SQL given as a name', async () => {
    const person = beneficiary();
    await person.send('تقديم طلب دعم');
    const result = await person.send('<b></b> 1=1');
    expect(result.replies.at(-1)?.nodeId).toBe('name');
    expect(result.replies[0]?.text).toMatch(/قصيرة جدًا|بالحروف/);
  });
});
