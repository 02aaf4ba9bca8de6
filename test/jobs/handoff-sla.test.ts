import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Bot } from '../../src/app.js';
import { addWorkingTime, nextOpening, parseWorkingHours } from '../../src/domain/working-hours.js';
import { buildServer } from '../../src/http/server.js';
import { type InboxEvent, InboxEvents } from '../../src/staff/events/inbox-events.js';
import type { InboxItem } from '../../src/staff/queries/inbox.js';
import { staffDb } from '../../src/staff/storage/schema.js';
import { formatSaudiDate, formatSaudiDateTime } from '../../src/text/dates.js';
import { call, createStaff, login, type Session } from '../staff/support.js';
import { silentLogger } from '../support/bot.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { RecordingChannel, sleep, startFollowUpBot, until } from '../support/follow-up-bots.js';

/** Open around the clock: the SLA is counted in plain (compressed) time. */
const ALWAYS_OPEN = 'sun-sat 00:00-24:00 UTC';
const SLA_MS = 2000;

/**
 * HANDOFF_SLA on real Redis and PostgreSQL, with time compressed through the configuration: a
 * conversation still waiting for staff after the SLA tells the beneficiary when to expect an
 * answer and is flagged in the staff inbox (API and live events); one taken over in time gets
 * neither. And outside WORKING_HOURS the handoff says at once that staff are away, and when
 * they are back.
 */
describe('handoff service level (HANDOFF_SLA, WORKING_HOURS)', { timeout: 60_000 }, () => {
  let database: TestDatabase;
  const closers: Array<() => Promise<void>> = [];

  async function start(env: Record<string, string>) {
    const channel = new RecordingChannel();
    const bot: Bot = await startFollowUpBot({ database: database.handle, channel, env });
    const app: FastifyInstance = await buildServer({
      bot,
      logger: silentLogger,
      staff: { db: bot.database.db, logger: silentLogger, control: bot.control, cookieSecure: false },
    });
    closers.push(async () => {
      await app.close();
      await bot.close();
    });
    return { bot, app, channel };
  }

  const say = (bot: Bot, user: string, text: string) =>
    bot.inbox.receive({ channel: 'telegram', externalUserId: user, externalMessageId: randomUUID(), text });

  async function inbox(app: FastifyInstance, session: Session, view: string): Promise<InboxItem[]> {
    const response = await call(app, session, 'GET', `/api/staff/conversations?view=${view}`);
    expect(response.statusCode).toBe(200);
    return response.json<{ conversations: InboxItem[] }>().conversations;
  }

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
  });
  // Bots share the database: one left running would deliver the next test's messages.
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('after the SLA, and not before, tells the beneficiary when to expect an answer and flags the conversation for staff', async () => {
    const { bot, app, channel } = await start({
      HANDOFF_SLA: `${SLA_MS / 1000}s`,
      WORKING_HOURS: ALWAYS_OPEN,
    });
    const staff = await login(app, await createStaff(staffDb(bot.database.db), 'agent', 'Alice'));
    const events = new InboxEvents({ db: staffDb(bot.database.db), logger: silentLogger, intervalMs: 100 });
    const seen: InboxEvent[] = [];
    const unsubscribe = events.subscribe((event) => seen.push(event));

    const waiting = `u-${randomUUID()}`;
    const answered = `u-${randomUUID()}`;
    await say(bot, waiting, 'السلام عليكم');
    await say(bot, answered, 'السلام عليكم');
    const handedOffAt = Date.now();
    const { conversationId } = await say(bot, waiting, 'موظف');
    const taken = await say(bot, answered, 'موظف');
    const first = await until(() => channel.to(waiting).find((m) => m.nodeId === 'waiting'));
    expect(first.text).toContain('سيرد عليكم أحدهم هنا في أقرب وقت');
    // Taken over well before the SLA.
    const takeover = await call(
      app,
      staff,
      'POST',
      `/api/staff/conversations/${taken.conversationId}/takeover`,
    );
    expect(takeover.statusCode).toBe(200);

    await sleep(SLA_MS - 800);
    expect(channel.to(waiting).some((m) => m.nodeId === 'handoff_sla')).toBe(false);
    const before = (await inbox(app, staff, 'waiting')).find((c) => c.id === conversationId);
    expect(before?.slaBreachedAt).toBeNull();

    const notice = await until(() => channel.to(waiting).find((m) => m.nodeId === 'handoff_sla'));
    expect(notice.at - handedOffAt).toBeGreaterThanOrEqual(SLA_MS - 100);
    expect(notice.text).toContain('نعتذر عن التأخر في الرد');
    // When to expect an answer: another SLA of working time from now, as a date and a time.
    expect(notice.text).toContain('نتوقع أن يرد عليكم أحدهم قبل');
    expect(notice.text).toContain(formatSaudiDate(new Date(Date.now() + SLA_MS), 'ar'));
    expect(notice.text).toMatch(/الساعة [٠-٩]+:[٠-٩]+/);

    // Staff see it: flagged in the inbox API, listed first among those waiting, and announced live.
    const flagged = await until(async () => {
      const rows = await inbox(app, staff, 'waiting');
      return rows.find((c) => c.id === conversationId && c.slaBreachedAt !== null) ? rows : undefined;
    });
    expect(flagged[0]?.id).toBe(conversationId);
    expect(Date.parse(flagged[0]?.slaBreachedAt ?? '') - handedOffAt).toBeGreaterThanOrEqual(SLA_MS - 100);
    const live = await until(() => seen.find((e) => e.conversationId === conversationId && e.slaBreachedAt));
    expect(live.mode).toBe('waiting');
    unsubscribe();
    events.close();

    // The conversation taken over in time got neither.
    await sleep(500);
    expect(channel.to(answered).some((m) => m.nodeId === 'handoff_sla')).toBe(false);
    const mine = (await inbox(app, staff, 'mine')).find((c) => c.id === taken.conversationId);
    expect(mine).toMatchObject({ mode: 'staff', slaBreachedAt: null });
    const escalation = await bot.database.db
      .selectFrom('escalations')
      .select('sla_breached_at')
      .where('conversation_id', '=', taken.conversationId)
      .executeTakeFirstOrThrow();
    expect(escalation.sla_breached_at).toBeNull();
    expect(channel.to(waiting).filter((m) => m.nodeId === 'handoff_sla')).toHaveLength(1);
  });

  it('outside working hours, the handoff says at once that staff are away and when they are back', async () => {
    // Open only on a day three days from now: closed now, whatever the time.
    const day = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(new Date().getUTCDay() + 3) % 7];
    const hours = `${day} 08:00-16:00 UTC`;
    const { bot, channel } = await start({ HANDOFF_SLA: '30m', WORKING_HOURS: hours });
    const user = `u-${randomUUID()}`;
    await say(bot, user, 'السلام عليكم');
    const at = new Date();
    const { conversationId } = await say(bot, user, 'موظف');

    const first = await until(() => channel.to(user).find((m) => m.nodeId === 'waiting'));
    const back = nextOpening(parseWorkingHours(hours), at);
    expect(back.getTime() - at.getTime()).toBeGreaterThan(24 * 3600_000);
    expect(first.text).toContain('نحن الآن خارج أوقات العمل');
    expect(first.text).toContain(`عند بدء الدوام يوم ${formatSaudiDateTime(back, 'ar')}`);
    // The wait is counted from when staff are back: the SLA check falls 30 minutes after opening.
    const sla = await bot.database.db
      .selectFrom('follow_ups')
      .select('due_at')
      .where('conversation_id', '=', conversationId)
      .where('kind', '=', 'handoff_sla')
      .executeTakeFirstOrThrow();
    expect(sla.due_at.getTime()).toBe(addWorkingTime(parseWorkingHours(hours), at, 30 * 60_000).getTime());
    expect(sla.due_at.getTime()).toBe(back.getTime() + 30 * 60_000);
  });
});
