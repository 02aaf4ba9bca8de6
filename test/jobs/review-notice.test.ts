import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Bot } from '../../src/app.js';
import { RecordingChannel, sleep, until, useFollowUpBots } from '../support/follow-up-bots.js';

const REVIEW_MS = 2000;

/**
 * The policy follow-up on real Redis and PostgreSQL, with REVIEW_NOTICE_AFTER compressed: a
 * request with the research committee that long without a decision tells the beneficiary it is
 * still under review — once per review period, counted from submission (which puts it before the
 * committee) or from its return under review after more information; never after a decision.
 */
describe('«still under review» notice (REVIEW_NOTICE_AFTER)', { timeout: 60_000 }, () => {
  const bots = useFollowUpBots({ REVIEW_NOTICE_AFTER: `${REVIEW_MS / 1000}s` });
  const staff = randomUUID();

  async function start(): Promise<{ bot: Bot; channel: RecordingChannel }> {
    const channel = new RecordingChannel();
    return { bot: await bots.start(channel), channel };
  }

  /** A whole support request through the intake; returns the request and when it was submitted. */
  async function submit(bot: Bot, user: string) {
    const say = (text: string) =>
      bot.inbox.receive({ channel: 'telegram', externalUserId: user, externalMessageId: randomUUID(), text });
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
    ])
      await say(answer);
    const submittedAt = Date.now();
    const submitted = await say('نعم');
    expect(submitted.replies.at(-1)?.nodeId).toBe('submitted');
    const request = await bot.database.db
      .selectFrom('support_requests')
      .selectAll()
      .where('conversation_id', '=', submitted.conversationId)
      .executeTakeFirstOrThrow();
    return { request, submittedAt };
  }

  const notices = (channel: RecordingChannel, user: string) =>
    channel.to(user).filter((m) => m.nodeId === 'review_notice');

  const reviewNotices = (bot: Bot, requestId: string) =>
    bot.database.db
      .selectFrom('follow_ups')
      .select(['status', 'due_at'])
      .where('request_id', '=', requestId)
      .where('kind', '=', 'review_notice')
      .orderBy('created_at')
      .execute();

  it('fires at its time after submission with the reference and «لجنة البحث», once for the review period', async () => {
    const { bot, channel } = await start();
    const user = `u-${randomUUID()}`;
    const { request, submittedAt } = await submit(bot, user);

    await sleep(REVIEW_MS - 800);
    expect(notices(channel, user)).toHaveLength(0);
    const notice = await until(() => notices(channel, user)[0]);
    expect(notice.at - submittedAt).toBeGreaterThanOrEqual(REVIEW_MS - 100);
    expect(notice.text).toContain(request.reference);
    expect(notice.text).toContain('لجنة البحث');
    expect(notice.text).toContain('قيد الدراسة');

    // Submitted → under review is the same review period: no second notice.
    await bot.control.changeRequestStatus(request.id, 'under_review', null, staff);
    await until(() => channel.to(user).find((m) => m.nodeId === 'status_notice'));
    await sleep(REVIEW_MS + 500);
    expect(notices(channel, user)).toHaveLength(1);
    expect((await reviewNotices(bot, request.id)).map((row) => row.status)).toEqual(['done']);
  });

  it('does not fire when the committee decided first', async () => {
    const { bot, channel } = await start();
    const user = `u-${randomUUID()}`;
    const { request } = await submit(bot, user);
    await bot.control.changeRequestStatus(request.id, 'under_review', null, staff);
    await bot.control.changeRequestStatus(request.id, 'approved', null, staff);
    await until(() => channel.to(user).find((m) => m.text.includes('قبول الطلب')));

    await sleep(REVIEW_MS + 500);
    expect(notices(channel, user)).toHaveLength(0);
    expect((await reviewNotices(bot, request.id)).map((row) => row.status)).toEqual(['cancelled']);
  });

  it('is rescheduled when the request returns under review after more information was needed', async () => {
    const { bot, channel } = await start();
    const user = `u-${randomUUID()}`;
    const { request, submittedAt } = await submit(bot, user);
    await bot.control.changeRequestStatus(request.id, 'under_review', null, staff);
    await bot.control.changeRequestStatus(request.id, 'needs_info', 'صورة الهوية', staff);
    await sleep(1000);
    const returnedAt = Date.now();
    await bot.control.changeRequestStatus(request.id, 'under_review', null, staff);

    // The submission's notice was cancelled with «more information needed»…
    await sleep(submittedAt + REVIEW_MS + 300 - Date.now());
    expect(notices(channel, user)).toHaveLength(0);
    // …and the new review period has its own, counted from the return.
    const notice = await until(() => notices(channel, user)[0]);
    expect(notice.at - returnedAt).toBeGreaterThanOrEqual(REVIEW_MS - 100);
    expect(notice.text).toContain(request.reference);
    expect(notice.text).toContain('لجنة البحث');
    await sleep(500);
    expect(notices(channel, user)).toHaveLength(1);
    expect((await reviewNotices(bot, request.id)).map((row) => row.status)).toEqual(['cancelled', 'done']);
  });
});
