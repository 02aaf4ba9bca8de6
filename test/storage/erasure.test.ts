import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/channels/types.js';
import { ERASED_TEXT, eraseContact } from '../../src/storage/repositories/erasure.js';
import { createTestBot, type TestBot } from '../support/bot.js';
import { DIALECTS } from '../support/databases.js';
import { submitIntake } from '../support/intake.js';

/** Every table a beneficiary's data can reach, as text, to look for what must be gone. */
const TABLES = [
  'contacts',
  'channel_identities',
  'conversations',
  'messages',
  'support_requests',
  'request_status_history',
  'ratings',
  'escalations',
  'follow_ups',
  'lookup_throttle',
  'audit_log',
] as const;

describe.each(DIALECTS)('erasing a beneficiary on %s', (dialect) => {
  let bot: TestBot;

  beforeAll(async () => {
    bot = await createTestBot(dialect);
  });
  afterAll(async () => {
    await bot.drop();
  });

  function beneficiary(channel: InboundMessage['channel'], user = randomUUID()) {
    let sequence = 0;
    return {
      user,
      send: (text: string) =>
        bot.inbox.receive({
          channel,
          externalUserId: user,
          externalMessageId: `${user}:${++sequence}:${randomUUID()}`,
          text,
          displayName: 'عائشة الزهراني',
        }),
    };
  }

  /** A whole support request, a rating with a comment, and a question left waiting for staff. */
  async function applicant(channel: InboundMessage['channel'], person = beneficiary(channel)) {
    const reference = await submitIntake(async (text) => (await person.send(text)).replies, {
      name: 'عائشة سعيد الزهراني',
      nationalId: '1000000008',
      mobile: '0551234567',
      city: 'جدة',
      supportType: '١',
      familySize: '٦',
      // Arabic-Indic, so it cannot turn up by chance in a timestamp's digits.
      income: '٤٧٣٩',
      description: 'نحتاج مساعدة في إيجار البيت بحي الصفا',
    });
    for (const text of ['تقييم الخدمة', '٢', 'الموظف ما رد علي وجوالي 0551234567']) await person.send(text);
    const waiting = await person.send('أبي أكلم موظف');
    const contact = await bot.database.db
      .selectFrom('conversations')
      .select('contact_id')
      .where('id', '=', waiting.conversationId)
      .executeTakeFirstOrThrow();
    return { ...person, reference, contactId: contact.contact_id, conversationId: waiting.conversationId };
  }

  async function everythingAsText(): Promise<string> {
    const parts: string[] = [];
    for (const table of TABLES) {
      const rows = await sql<{
        row: string;
      }>`select row_to_json(t)::text as row from ${sql.table(table)} t`.execute(bot.database.db);
      parts.push(...rows.rows.map((row) => row.row));
    }
    return parts.join('\n');
  }

  it('overwrites what identifies the person everywhere, and keeps what statistics count', async () => {
    const erased = await applicant('telegram');
    const kept = await applicant('web');
    await bot.database.db
      .insertInto('request_status_history')
      .values({
        request_id: (
          await bot.database.db
            .selectFrom('support_requests')
            .select('id')
            .where('reference', '=', erased.reference)
            .executeTakeFirstOrThrow()
        ).id,
        status: 'submitted',
        note: 'اتصلت بها على 0551234567',
        changed_by: 'system',
      })
      .execute();
    const before = await everythingAsText();
    for (const secret of ['1000000008', '966551234567', 'عائشة', 'حي الصفا', '٤٧٣٩', erased.user])
      expect(before).toContain(secret);

    const result = await eraseContact(bot.database.db, erased.contactId, new Date());
    expect(result).toMatchObject({ conversations: 1, requests: 1, ratings: 1 });
    expect(result?.messages).toBeGreaterThan(20);

    // The erased person's data is gone from every table…
    const erasedRows = (await everythingAsText())
      .split('\n')
      .filter((row) => !row.includes(kept.contactId) && !row.includes(kept.conversationId));
    for (const secret of ['1000000008', '966551234567', 'عائشة', 'حي الصفا', '٤٧٣٩', erased.user])
      expect(erasedRows.join('\n')).not.toContain(secret);

    // …the rows that statistics count are still there…
    const request = await bot.database.db
      .selectFrom('support_requests')
      .selectAll()
      .where('reference', '=', erased.reference)
      .executeTakeFirstOrThrow();
    expect(request).toMatchObject({ status: 'submitted', support_type: 'financial', family_size: 6 });
    expect(request.erased_at).toBeInstanceOf(Date);
    expect(Number(request.monthly_income)).toBe(0);
    const rating = await bot.database.db
      .selectFrom('ratings')
      .select(['score', 'comment', 'flagged'])
      .where('contact_id', '=', erased.contactId)
      .executeTakeFirstOrThrow();
    expect(rating).toEqual({ score: 2, comment: null, flagged: true });
    const messages = await bot.database.db
      .selectFrom('messages')
      .select(['text', 'delivery_status'])
      .where('conversation_id', '=', erased.conversationId)
      .execute();
    expect(new Set(messages.map((message) => message.text))).toEqual(new Set([ERASED_TEXT]));
    expect(messages.some((message) => message.delivery_status === 'pending')).toBe(false);
    const conversation = await bot.database.db
      .selectFrom('conversations')
      .select(['mode', 'closed_at'])
      .where('id', '=', erased.conversationId)
      .executeTakeFirstOrThrow();
    expect(conversation.mode).toBe('closed');
    const escalations = await bot.database.db
      .selectFrom('escalations')
      .select('status')
      .where('conversation_id', '=', erased.conversationId)
      .execute();
    expect(escalations.map((row) => row.status)).toEqual(['cancelled']);
    const scheduled = await bot.database.db
      .selectFrom('follow_ups')
      .select('id')
      .where('contact_id', '=', erased.contactId)
      .where('status', '=', 'scheduled')
      .execute();
    expect(scheduled).toEqual([]);

    // …and nobody else's data was touched.
    const other = await bot.database.db
      .selectFrom('support_requests')
      .select(['national_id', 'full_name', 'erased_at'])
      .where('reference', '=', kept.reference)
      .executeTakeFirstOrThrow();
    expect(other).toEqual({ national_id: '1000000008', full_name: 'عائشة سعيد الزهراني', erased_at: null });
    const keptMessages = await bot.database.db
      .selectFrom('messages')
      .select('text')
      .where('conversation_id', '=', kept.conversationId)
      .execute();
    expect(keptMessages.map((message) => message.text)).toContain('عائشة سعيد الزهراني');

    // Writing again, the person is a new beneficiary: their old requests are not theirs to see.
    const again = beneficiary('telegram', erased.user);
    await again.send('مرحبا');
    const status = await again.send('حالة طلبي');
    expect(status.replies.at(-1)?.nodeId).toBe('none');
    expect(status.conversationId).not.toBe(erased.conversationId);

    // Erasing twice is harmless; an unknown contact is no erasure.
    await expect(eraseContact(bot.database.db, erased.contactId, new Date())).resolves.toMatchObject({
      requests: 1,
    });
    await expect(eraseContact(bot.database.db, randomUUID(), new Date())).resolves.toBeUndefined();
  });
});
