import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Bot } from '../../src/app.js';
import { takeOver } from '../../src/staff/conversations/assignment.js';
import { satisfactionReport } from '../../src/staff/queries/reports.js';
import { createStaffAccount } from '../../src/staff/storage/accounts.js';
import { staffDb } from '../../src/staff/storage/schema.js';
import { createSupportRequest } from '../../src/storage/repositories/requests.js';
import {
  RecordingChannel,
  sayOnTelegram as say,
  sleep,
  until,
  useFollowUpBots,
} from '../support/follow-up-bots.js';

/**
 * What follows staff's actions. The satisfaction survey after staff close a conversation: it runs in a new conversation (a
 * closed one never reopens), yet the rating it records is about the closed conversation and
 * counts for the staff member who handled it; it is sent once, and never to an identity the
 * channel reported unreachable. A request staff cancel is announced like any other decision.
 */
describe('follow-ups of staff actions (Redis)', { timeout: 60_000 }, () => {
  const bots = useFollowUpBots({ RATING_AFTER: '2s' });
  const start = (channel: RecordingChannel) => bots.start(channel);
  const db = () => bots.database.handle.db;

  /** A beneficiary who asked for a person, taken over by a new agent; returns both. */
  async function handledConversation(bot: Bot, user: string) {
    await say(bot, user, 'السلام عليكم');
    const handoff = await say(bot, user, 'ابي اكلم موظف');
    const agent = await createStaffAccount(staffDb(db()), {
      email: `agent-${randomBytes(4).toString('hex')}@example.org`,
      name: 'سارة',
      role: 'agent',
      password: 'a long enough password',
    });
    await takeOver(staffDb(db()), handoff.conversationId, agent.id);
    return { conversationId: handoff.conversationId, agent };
  }

  it('asks once, after RATING_AFTER, and credits the rating to the closed conversation and its agent', async () => {
    const channel = new RecordingChannel();
    const bot = await start(channel);
    const user = `u-${randomUUID()}`;
    const { conversationId, agent } = await handledConversation(bot, user);
    // A request of the same person must not take the credit for the conversation's rating.
    const { contact_id } = await db()
      .selectFrom('conversations')
      .select('contact_id')
      .where('id', '=', conversationId)
      .executeTakeFirstOrThrow();
    await createSupportRequest(db(), {
      contactId: contact_id,
      conversationId,
      fullName: 'محمد أحمد',
      nationalId: '1000000008',
      mobileE164: '+966501234567',
      city: 'الرياض',
      supportType: 'food',
      familySize: 4,
      monthlyIncome: 2000,
      description: 'سلة غذائية',
    });

    await bot.control.close(conversationId, agent.id);
    const closedAt = Date.now();
    const invite = await until(() => channel.to(user).find((m) => m.nodeId === 'rating_invite'));
    expect(invite.at - closedAt).toBeGreaterThanOrEqual(1500);
    expect(invite.conversationId).not.toBe(conversationId);
    const question = await until(() => channel.to(user)[channel.to(user).indexOf(invite) + 1]);
    expect(question.nodeId).toBe('score');

    await say(bot, user, '٢');
    await say(bot, user, 'تأخر الرد كثيرا');
    const rating = await db()
      .selectFrom('ratings')
      .select(['score', 'comment', 'conversation_id', 'request_id'])
      .where('contact_id', '=', contact_id)
      .executeTakeFirstOrThrow();
    expect(rating).toEqual({
      score: 2,
      comment: 'تأخر الرد كثيرا',
      conversation_id: conversationId,
      request_id: null,
    });

    const report = await satisfactionReport(staffDb(db()), {}, { includeLowScores: true });
    const mine = report.byStaff.find((row) => row.staff.id === agent.id);
    expect(mine).toMatchObject({ count: 1, csat: 0 });
    expect(report.lowScores.some((low) => low.conversationId === conversationId)).toBe(true);

    // The survey row is done; a second run for the same conversation finds it rated.
    const survey = await db()
      .selectFrom('follow_ups')
      .select(['status'])
      .where('kind', '=', 'rating_survey')
      .where('conversation_id', '=', conversationId)
      .execute();
    expect(survey).toEqual([{ status: 'done' }]);
    await sleep(500);
    expect(channel.to(user).filter((m) => m.nodeId === 'rating_invite')).toHaveLength(1);
  });

  it('tells the beneficiary when staff cancel their request', async () => {
    const channel = new RecordingChannel();
    const bot = await start(channel);
    const user = `u-${randomUUID()}`;
    const first = await say(bot, user, 'السلام عليكم');
    const { contact_id } = await db()
      .selectFrom('conversations')
      .select('contact_id')
      .where('id', '=', first.conversationId)
      .executeTakeFirstOrThrow();
    const request = await createSupportRequest(db(), {
      contactId: contact_id,
      conversationId: first.conversationId,
      fullName: 'محمد أحمد',
      nationalId: '1000000008',
      mobileE164: '+966501234567',
      city: 'جدة',
      supportType: 'housing',
      familySize: 3,
      monthlyIncome: 1500,
      description: 'إيجار',
    });
    await bot.control.changeRequestStatus(request.id, 'cancelled', 'طلب مكرر', randomUUID());
    const notice = await until(() => channel.to(user).find((m) => m.nodeId === 'status_notice'));
    expect(notice.text).toContain(request.reference);
    expect(notice.text).toContain('أُلغي الطلب');
    expect(notice.text).not.toContain('طلب مكرر'); // the staff note is internal
  });

  it('never surveys an identity the channel reported unreachable', async () => {
    const channel = new RecordingChannel();
    const bot = await start(channel);
    const user = `u-${randomUUID()}`;
    const { conversationId, agent } = await handledConversation(bot, user);
    await bot.control.close(conversationId, agent.id);
    // The beneficiary blocked the bot after the conversation closed.
    await db()
      .updateTable('channel_identities')
      .set({ unreachable_at: new Date() })
      .where('channel', '=', 'telegram')
      .where('external_id', '=', user)
      .execute();
    const survey = await until(async () => {
      const row = await db()
        .selectFrom('follow_ups')
        .select(['status', 'outcome'])
        .where('kind', '=', 'rating_survey')
        .where('conversation_id', '=', conversationId)
        .executeTakeFirst();
      return row && row.status !== 'scheduled' ? row : undefined;
    });
    expect(survey).toEqual({ status: 'skipped', outcome: 'unreachable' });
    expect(channel.to(user).some((m) => m.nodeId === 'rating_invite')).toBe(false);
  });
});
