import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { RequestStatus } from '../../src/domain/request-status.js';
import { RetentionSweep } from '../../src/jobs/retention.js';
import { createSupportRequest } from '../../src/storage/repositories/requests.js';
import { createTestBot, silentLogger, type TestBot } from '../support/bot.js';
import { DIALECTS } from '../support/databases.js';
import { RecordingChannel, startFollowUpBot, until } from '../support/follow-up-bots.js';

const DAY = 86_400_000;

describe.each(DIALECTS)('data retention on %s', (dialect) => {
  let bot: TestBot;

  beforeAll(async () => {
    bot = await createTestBot(dialect);
  });
  afterAll(async () => {
    await bot.drop();
  });

  /**
   * A beneficiary who wrote `daysAgo` days ago (everything of theirs dated then), optionally with a
   * request in `status` and asking for staff.
   */
  async function beneficiary(daysAgo: number, options: { status?: RequestStatus; waiting?: boolean } = {}) {
    const user = randomUUID();
    const say = (text: string) =>
      bot.inbox.receive({ channel: 'telegram', externalUserId: user, externalMessageId: randomUUID(), text });
    const turn = await say(options.waiting ? 'أبي أكلم موظف' : 'مرحبا');
    const { contact_id: contactId } = await bot.database.db
      .selectFrom('conversations')
      .select('contact_id')
      .where('id', '=', turn.conversationId)
      .executeTakeFirstOrThrow();
    if (options.status) {
      const request = await createSupportRequest(bot.database.db, {
        contactId,
        conversationId: turn.conversationId,
        fullName: 'هند علي الشهري',
        nationalId: '1000000008',
        mobileE164: '+966551234567',
        city: 'أبها',
        supportType: 'food',
        familySize: 4,
        monthlyIncome: 1500,
        description: 'سلة غذائية شهرية',
      });
      await bot.database.db
        .updateTable('support_requests')
        .set({ status: options.status })
        .where('id', '=', request.id)
        .execute();
    }
    const then = new Date(Date.now() - daysAgo * DAY);
    await sql`update contacts set created_at = ${then} where id = ${contactId}`.execute(bot.database.db);
    await sql`update conversations set created_at = ${then}, last_message_at = ${then} where contact_id = ${contactId}`.execute(
      bot.database.db,
    );
    await sql`update support_requests set created_at = ${then}, updated_at = ${then} where contact_id = ${contactId}`.execute(
      bot.database.db,
    );
    return contactId;
  }

  const erasedAt = async (contactId: string) =>
    (
      await bot.database.db
        .selectFrom('contacts')
        .select('erased_at')
        .where('id', '=', contactId)
        .executeTakeFirstOrThrow()
    ).erased_at;

  it('erases only beneficiaries inactive for the whole period, with nothing in progress', async () => {
    const done = await beneficiary(400, { status: 'completed' });
    const silent = await beneficiary(400);
    const inProgress = await beneficiary(400, { status: 'under_review' });
    const waitingForStaff = await beneficiary(400, { waiting: true });
    const recent = await beneficiary(10, { status: 'rejected' });

    const sweep = new RetentionSweep({
      db: bot.database.db,
      logger: silentLogger,
      clock: { now: () => new Date() },
      retentionMs: 365 * DAY,
    });
    const due = await sweep.due();
    expect(due).toEqual(expect.arrayContaining([done, silent]));
    for (const kept of [inProgress, waitingForStaff, recent]) expect(due).not.toContain(kept);

    expect(await sweep.runOnce()).toBe(due.length);
    expect(await erasedAt(done)).toBeInstanceOf(Date);
    expect(await erasedAt(silent)).toBeInstanceOf(Date);
    for (const kept of [inProgress, waitingForStaff, recent]) expect(await erasedAt(kept)).toBeNull();
    const request = await bot.database.db
      .selectFrom('support_requests')
      .select(['national_id', 'status'])
      .where('contact_id', '=', done)
      .executeTakeFirstOrThrow();
    expect(request).toEqual({ national_id: '', status: 'completed' });

    // Audited with no staff member, and said to be the retention rule's doing.
    const audit = await bot.database.db
      .withTables<{
        audit_log: { staff_id: string | null; action: string; target_id: string; details: unknown };
      }>()
      .selectFrom('audit_log')
      .select(['staff_id', 'details'])
      .where('action', '=', 'contact.erase')
      .where('target_id', '=', done)
      .executeTakeFirstOrThrow();
    expect(audit.staff_id).toBeNull();
    expect(audit.details).toMatchObject({ retention: true, requests: 1 });

    // Nothing left to do: a second pass erases nobody again.
    expect(await sweep.due()).not.toContain(done);
  });

  it('runs in the background of a bot started with DATA_RETENTION', async () => {
    const old = await beneficiary(800, { status: 'cancelled' });
    const running = await startFollowUpBot({
      database: bot.database,
      channel: new RecordingChannel(),
      env: { DATA_RETENTION: '730d' },
    });
    try {
      expect(await until(() => erasedAt(old).then((at) => at ?? undefined))).toBeInstanceOf(Date);
    } finally {
      await running.close();
    }
  });

  it('is off unless DATA_RETENTION is set, and refuses a period under 30 days', () => {
    expect(loadConfig({}).DATA_RETENTION).toBeUndefined();
    expect(loadConfig({ DATA_RETENTION: '730d' }).DATA_RETENTION).toBe(730 * DAY);
    expect(() => loadConfig({ DATA_RETENTION: '7d' })).toThrow(
      /DATA_RETENTION: expected a duration of at least 30d/,
    );
  });
});
