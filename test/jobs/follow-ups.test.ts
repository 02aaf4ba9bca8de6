import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSupportRequest } from '../../src/storage/repositories/requests.js';
import {
  newQueuePrefix,
  RecordingChannel,
  sayOnTelegram as say,
  sleep,
  until,
  useFollowUpBots,
} from '../support/follow-up-bots.js';

/**
 * Follow-ups on real Redis (BullMQ) and real PostgreSQL, with time compressed through the
 * configuration: each fires at its time and not before, is cancelled when it no longer
 * applies, and survives a restart of the worker.
 */
describe('follow-ups on BullMQ (Redis)', { timeout: 60_000 }, () => {
  const { start, stop } = useFollowUpBots({
    INTAKE_REMINDER_AFTER: '2s',
    INTAKE_EXPIRES_AFTER: '4s',
    RATING_AFTER: '2s',
  });

  it('reminds about an unfinished intake at its time, not before, then expires it', async () => {
    const channel = new RecordingChannel();
    const bot = await start(channel);
    const user = `u-${randomUUID()}`;
    await say(bot, user, 'السلام عليكم');
    const startedAt = Date.now();
    await say(bot, user, '2');
    await until(() => channel.to(user).find((m) => m.nodeId === 'name'));
    await sleep(1200);
    expect(channel.to(user).some((m) => m.nodeId === 'intake_reminder')).toBe(false);

    const reminder = await until(() => channel.to(user).find((m) => m.nodeId === 'intake_reminder'));
    expect(reminder.at - startedAt).toBeGreaterThanOrEqual(1900);
    expect(reminder.text).toContain('لم يكتمل طلب الدعم');
    // The question they stopped at is asked again, right after.
    const askedAgain = await until(() => channel.to(user)[channel.to(user).indexOf(reminder) + 1]);
    expect(askedAgain.nodeId).toBe('name');

    const expired = await until(() => channel.to(user).find((m) => m.nodeId === 'intake_expired'));
    expect(expired.at - startedAt).toBeGreaterThanOrEqual(3900);
    const conversation = await bot.database.db
      .selectFrom('conversations')
      .select(['flow_id', 'node_id'])
      .where('id', '=', reminder.conversationId)
      .executeTakeFirstOrThrow();
    expect(conversation).toEqual({ flow_id: 'main_menu', node_id: 'menu' });
    expect(channel.to(user).filter((m) => m.nodeId === 'intake_reminder')).toHaveLength(1);
  });

  it('cancels the reminder when the intake is cancelled, and moves it on with every answer', async () => {
    const channel = new RecordingChannel();
    const bot = await start(channel);
    const cancelled = `u-${randomUUID()}`;
    await say(bot, cancelled, 'السلام عليكم');
    await say(bot, cancelled, '2');
    await say(bot, cancelled, 'إلغاء');
    const answering = `u-${randomUUID()}`;
    await say(bot, answering, 'السلام عليكم');
    await say(bot, answering, '2');
    await sleep(1500);
    await say(bot, answering, 'محمد أحمد العتيبي'); // an answer: the reminder restarts from now
    await sleep(1500);
    expect(channel.to(answering).some((m) => m.nodeId === 'intake_reminder')).toBe(false);
    await until(() => channel.to(answering).find((m) => m.nodeId === 'intake_reminder'));
    expect(channel.to(cancelled).some((m) => m.nodeId === 'intake_reminder')).toBe(false);
  });

  it('neither reminds nor expires a request once it is submitted', async () => {
    const channel = new RecordingChannel();
    const bot = await start(channel);
    const user = `u-${randomUUID()}`;
    await say(bot, user, 'السلام عليكم');
    for (const answer of [
      '2',
      'محمد أحمد العتيبي',
      '1000000008',
      '0501234567',
      'الرياض',
      '2',
      '4',
      '2000',
      'نحتاج سلة غذائية شهرية',
      'نعم',
    ])
      await say(bot, user, answer);
    await until(() => channel.to(user).find((m) => m.nodeId === 'submitted'));
    await sleep(4800); // past both the reminder (2 s) and the expiry (4 s)
    const nodes = channel.to(user).map((m) => m.nodeId);
    expect(nodes).not.toContain('intake_reminder');
    expect(nodes).not.toContain('intake_expired');
  });

  it('survives a restart of the worker: a follow-up due while it was down runs once after', async () => {
    const before = new RecordingChannel();
    const prefix = newQueuePrefix();
    const first = await start(before, prefix);
    const user = `u-${randomUUID()}`;
    await say(first, user, 'السلام عليكم');
    await say(first, user, '2');
    await until(() => before.to(user).find((m) => m.nodeId === 'name'));
    await stop(first);
    await sleep(2500); // the reminder falls due while no worker runs

    const after = new RecordingChannel();
    await start(after, prefix);
    const reminder = await until(() => after.to(user).find((m) => m.nodeId === 'intake_reminder'));
    expect(reminder.text).toContain('لم يكتمل');
    await sleep(500);
    expect(after.to(user).filter((m) => m.nodeId === 'intake_reminder')).toHaveLength(1);
    expect(before.to(user).some((m) => m.nodeId === 'intake_reminder')).toBe(false);
  });

  it('tells the beneficiary each status change, and surveys once after the service is delivered', async () => {
    const channel = new RecordingChannel();
    const bot = await start(channel);
    const user = `u-${randomUUID()}`;
    const first = await say(bot, user, 'السلام عليكم');
    const { contact_id } = await bot.database.db
      .selectFrom('conversations')
      .select('contact_id')
      .where('id', '=', first.conversationId)
      .executeTakeFirstOrThrow();
    const request = await createSupportRequest(bot.database.db, {
      contactId: contact_id,
      conversationId: first.conversationId,
      fullName: 'محمد أحمد',
      nationalId: '1000000008',
      mobileE164: '+966501234567',
      city: 'الرياض',
      supportType: 'food',
      familySize: 4,
      monthlyIncome: 2000,
      description: 'سلة غذائية',
    });
    const staff = randomUUID();
    await bot.control.changeRequestStatus(request.id, 'under_review', null, staff);
    const notice = await until(() => channel.to(user).find((m) => m.nodeId === 'status_notice'));
    expect(notice.text).toContain(request.reference);
    expect(notice.text).toContain('لجنة البحث');

    await bot.control.changeRequestStatus(request.id, 'approved', 'تمت الموافقة', staff);
    await bot.control.changeRequestStatus(request.id, 'completed', null, staff);
    await until(() => channel.to(user).find((m) => m.text.includes('تم تقديم الخدمة')));
    const deliveredAt = Date.now();
    expect(channel.to(user).some((m) => m.nodeId === 'rating_invite')).toBe(false);
    const invite = await until(() => channel.to(user).find((m) => m.nodeId === 'rating_invite'));
    expect(invite.at - deliveredAt).toBeGreaterThanOrEqual(1500);
    // The invitation and the first question may reach the channel in separate sends.
    const question = await until(() => channel.to(user)[channel.to(user).indexOf(invite) + 1]);
    expect(question.flowId).toBe('rating');
    expect(question.nodeId).toBe('score');

    // Answering records the rating against the surveyed request.
    await say(bot, user, '٥');
    await say(bot, user, 'تخطي');
    const rating = await bot.database.db
      .selectFrom('ratings')
      .select(['score', 'request_id'])
      .where('contact_id', '=', contact_id)
      .executeTakeFirstOrThrow();
    expect(rating).toEqual({ score: 5, request_id: request.id });
    // Invalid transitions are refused.
    await expect(bot.control.changeRequestStatus(request.id, 'rejected', null, staff)).rejects.toThrow(
      /cannot go from completed to rejected/,
    );
  });
});
