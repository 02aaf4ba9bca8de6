import { randomUUID } from 'node:crypto';
import { type Kysely, type KyselyPlugin, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bot, createBot } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Inbox } from '../../src/inbox/inbox.js';
import { FollowUpRunner } from '../../src/jobs/follow-up-runner.js';
import { scheduleFollowUp } from '../../src/storage/repositories/follow-ups.js';
import { changeRequestStatus, createSupportRequest } from '../../src/storage/repositories/requests.js';
import { saveTurn } from '../../src/storage/repositories/turns.js';
import type { Database, FollowUpKind } from '../../src/storage/schema.js';
import { anotherInbox, silentLogger } from '../support/bot.js';
import { newWebConversation } from '../support/conversations.js';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { sampleRequest } from '../support/intake.js';

/**
 * Counts the statements that reached the database and came back. Counted on the result, not on
 * the query tree: prebuilt statements (QueryTemplate) run as compiled SQL, which no plugin's
 * transformQuery sees.
 */
class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery: KyselyPlugin['transformQuery'] = (args) => args.node;
  transformResult: KyselyPlugin['transformResult'] = async (args) => {
    this.count++;
    return args.result;
  };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The follow-up writes that travel inside the statement ending a turn: an intake answer writes
 * none (its conversation's last answer time, in the same statement, moves the reminder and the
 * expiry on when they wake; a sent reminder stays sent), and a follow-up run marks its row done
 * in the statement storing its messages — both or neither. The intake's
 * reminder and expiry run without a transaction (read, then saved at the version read, several
 * runs per statement); the rest lock their row and conversation in one statement first.
 * Statement counts pin the round trips.
 */
describe.each(DIALECTS)('follow-up writes folded into the turn on %s', (dialect) => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  let bot: Bot;
  const counter = new StatementCounter();
  let counted: Kysely<Database>;
  let inbox: Inbox;
  let clockNow = new Date();
  let runner: FollowUpRunner;

  beforeAll(async () => {
    database = await openTestDatabase(dialect);
    db = database.handle.db;
    bot = await createBot({
      config: loadConfig({ LOG_LEVEL: 'silent' }),
      logger: silentLogger,
      database: database.handle,
    });
    counted = db.withPlugin(counter);
    inbox = anotherInbox(bot, counted);
    runner = new FollowUpRunner({
      db: counted,
      engine: bot.engine,
      catalog: bot.catalog,
      throttle: { maxFailures: 3, blockMs: 60_000 },
      defaultLocale: 'ar',
      policy: bot.policy,
      clock: { now: () => clockNow },
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await bot.close();
    await database.drop();
  });

  const say = (user: string, text: string, at: Date) =>
    inbox.receive({
      channel: 'web',
      externalUserId: user,
      externalMessageId: randomUUID(),
      text,
      receivedAt: at,
    });

  /** Statements one call sends. */
  async function statementsOf<T>(work: () => Promise<T>): Promise<{ result: T; statements: number }> {
    counter.count = 0;
    const result = await work();
    return { result, statements: counter.count };
  }

  const followUpsOf = (conversationId: string) =>
    db
      .selectFrom('follow_ups')
      .select(['id', 'kind', 'status', 'outcome', 'due_at', 'finished_at'])
      .where('conversation_id', '=', conversationId)
      .orderBy('kind')
      .execute();

  const intakeRow = async (conversationId: string, kind: FollowUpKind, status = 'scheduled') =>
    (await followUpsOf(conversationId)).find((row) => row.kind === kind && row.status === status);

  /** A beneficiary at the intake's first question; returns the conversation. */
  async function startIntake(user: string, at: Date): Promise<string> {
    await say(user, 'السلام عليكم', at);
    const started = await say(user, '٢', new Date(at.getTime() + 1000));
    expect(started.replies.at(-1)?.nodeId).toBe('name');
    return started.conversationId;
  }

  /** A beneficiary who greeted at `t0`, with a request approved and its status notice due then. */
  async function statusNotice(t0: Date): Promise<{ id: string; conversationId: string }> {
    const greeted = await say(randomUUID(), 'السلام عليكم', t0);
    const { contact_id } = await db
      .selectFrom('conversations')
      .select('contact_id')
      .where('id', '=', greeted.conversationId)
      .executeTakeFirstOrThrow();
    const request = await createSupportRequest(db, sampleRequest(contact_id));
    await changeRequestStatus(db, request.id, { status: 'approved', changedBy: 'test' });
    const notice = await scheduleFollowUp(db, {
      kind: 'status_notice',
      contactId: contact_id,
      requestId: request.id,
      basis: { status: 'approved' },
      dueAt: t0,
    });
    if (!notice) throw new Error('status notice not scheduled');
    return { id: notice.id, conversationId: greeted.conversationId };
  }

  const lastInboundAt = async (conversationId: string) =>
    (
      await db
        .selectFrom('conversations')
        .select('last_inbound_at')
        .where('id', '=', conversationId)
        .executeTakeFirstOrThrow()
    ).last_inbound_at;

  it("an intake answer writes no follow-up, only its conversation's last answer time: the reminder and the expiry, woken at their rows' times, are put back to count from it, a sent reminder staying sent", async () => {
    const t0 = new Date('2026-03-01T09:00:00Z');
    const user = randomUUID();
    const conversationId = await startIntake(user, t0);
    const started = new Date(t0.getTime() + 1000); // the «٢» that started the intake
    const bystander = await startIntake(randomUUID(), t0);
    const bystanderBefore = await followUpsOf(bystander);
    const scheduled = await followUpsOf(conversationId);
    expect(scheduled.map((row) => [row.kind, row.due_at])).toEqual([
      ['intake_expiry', new Date(started.getTime() + 7 * DAY)],
      ['intake_reminder', new Date(started.getTime() + DAY)],
    ]);

    const t1 = new Date(t0.getTime() + 2 * HOUR);
    const answered = await statementsOf(() => say(user, 'محمد أحمد العتيبي', t1));
    expect(answered.result.replies.at(-1)?.nodeId).toBe('national_id');
    // ONE statement, outside any transaction: the conversation locked at the version the inbox's
    // last turn left it, the inbound message and the turn's end (saveTurnsAtVersion). The
    // follow-up rows are as they were; the conversation holds the answer's time.
    expect(answered.statements).toBe(1);
    expect(await followUpsOf(conversationId)).toEqual(scheduled);
    expect(await lastInboundAt(conversationId)).toEqual(t1);

    // The reminder's job wakes at its row's time: put back to a day after the answer, not sent.
    const reminder = await intakeRow(conversationId, 'intake_reminder');
    clockNow = reminder?.due_at as Date;
    const early = await runner.run(reminder?.id as string);
    expect(early).toMatchObject({ replies: [], outcome: 'not due yet' });
    expect(early.postponed?.due_at).toEqual(new Date(t1.getTime() + DAY));
    expect((await intakeRow(conversationId, 'intake_reminder'))?.due_at).toEqual(
      new Date(t1.getTime() + DAY),
    );
    clockNow = new Date(t1.getTime() + DAY);
    expect((await runner.run(reminder?.id as string)).outcome).toBe('sent');

    // The next answer leaves the sent reminder as it was; the expiry counts from the answer.
    const t2 = new Date(clockNow.getTime() + 3 * HOUR);
    const next = await say(user, '1000000008', t2);
    expect(next.replies.at(-1)?.nodeId).toBe('mobile');
    expect(await lastInboundAt(conversationId)).toEqual(t2);
    const expiry = await intakeRow(conversationId, 'intake_expiry');
    clockNow = new Date(started.getTime() + 7 * DAY);
    const expiryEarly = await runner.run(expiry?.id as string);
    expect(expiryEarly.outcome).toBe('not due yet');
    expect(expiryEarly.postponed?.due_at).toEqual(new Date(t2.getTime() + 7 * DAY));
    const rows = await followUpsOf(conversationId);
    expect(
      rows.filter((row) => row.kind === 'intake_reminder').map((row) => [row.status, row.outcome]),
    ).toEqual([['done', 'sent']]);
    expect(rows.filter((row) => row.kind === 'intake_expiry').map((row) => [row.status, row.due_at])).toEqual(
      [['scheduled', new Date(t2.getTime() + 7 * DAY)]],
    );
    // Another conversation's follow-ups never move.
    expect(await followUpsOf(bystander)).toEqual(bystanderBefore);
  });

  /** A beneficiary at the intake's confirmation, every answer given through `inbox`. */
  async function atConfirmation(user: string, t0: Date): Promise<number> {
    let step = 0;
    const answers = [
      'السلام عليكم',
      '٢',
      'محمد أحمد العتيبي',
      '1000000008',
      '0551234567',
      'الرياض',
      '١',
      '٥',
      '3000',
      'إيجار متأخر',
    ];
    for (const text of answers) await say(user, text, new Date(t0.getTime() + ++step * 1000));
    return step;
  }

  /** The request a confirmation created, checked whole: one history entry, one review notice, queued. */
  async function expectCreatedRequest(
    confirmed: Awaited<ReturnType<typeof say>>,
    confirmedAt: Date,
  ): Promise<void> {
    const requests = await db
      .selectFrom('support_requests')
      .select(['id', 'reference', 'contact_id', 'status', 'full_name', 'national_id', 'mobile_e164'])
      .select((eb) => eb.cast<string>('monthly_income', 'text').as('income'))
      .where('conversation_id', '=', confirmed.conversationId)
      .execute();
    expect(requests).toHaveLength(1);
    const request = requests[0] as (typeof requests)[number];
    expect(request).toMatchObject({
      status: 'submitted',
      full_name: 'محمد أحمد العتيبي',
      national_id: '1000000008',
      mobile_e164: '+966551234567',
      income: '3000.00',
    });
    // The reply names the reference the request was stored under.
    expect(confirmed.replies.map((reply) => reply.text).join('\n')).toContain(request.reference);
    const history = await db
      .selectFrom('request_status_history')
      .select(['status', 'changed_by'])
      .where('request_id', '=', request.id)
      .execute();
    expect(history).toEqual([{ status: 'submitted', changed_by: 'beneficiary' }]);
    const notices = await db
      .selectFrom('follow_ups')
      .select(['id', 'contact_id', 'status', 'due_at', 'basis'])
      .where('request_id', '=', request.id)
      .where('kind', '=', 'review_notice')
      .execute();
    expect(notices).toEqual([
      {
        id: expect.any(String),
        contact_id: request.contact_id,
        status: 'scheduled',
        due_at: new Date(confirmedAt.getTime() + 14 * DAY),
        basis: { status: 'submitted', reviewSince: confirmedAt.toISOString() },
      },
    ]);
    // Handed to the queue with the turn's other follow-ups once committed.
    expect(confirmed.followUps.map((row) => row.id)).toContain(notices[0]?.id);
    // The intake is over: nothing is left to remind of or expire, in the same statement.
    expect(await intakeRow(confirmed.conversationId, 'intake_reminder')).toBeUndefined();
    expect(await intakeRow(confirmed.conversationId, 'intake_expiry')).toBeUndefined();
    expect(
      (await followUpsOf(confirmed.conversationId)).map((row) => [row.kind, row.status, row.outcome]),
    ).toEqual([
      ['intake_expiry', 'cancelled', 'no longer relevant'],
      ['intake_reminder', 'cancelled', 'no longer relevant'],
    ]);
  }

  it('confirming the intake creates the request, its history and its review notice in the one statement of the turn', async () => {
    const t0 = new Date('2026-03-03T09:00:00Z');
    const user = randomUUID();
    const step = await atConfirmation(user, t0);
    const confirmedAt = new Date(t0.getTime() + (step + 1) * 1000);
    const confirmed = await statementsOf(() => say(user, 'نعم', confirmedAt));
    expect(confirmed.result.replies.at(-1)?.nodeId).toBe('submitted');
    // ONE statement, outside any transaction: the request is created with the turn that
    // confirmed it (saveTurnsAtVersion), under the reference its reply names.
    expect(confirmed.statements).toBe(1);
    await expectCreatedRequest(confirmed.result, confirmedAt);
  });

  it('a confirmation the inbox does not remember locks and creates the same request, once', async () => {
    const t0 = new Date('2026-03-04T09:00:00Z');
    const user = randomUUID();
    const step = await atConfirmation(user, t0);
    const confirmedAt = new Date(t0.getTime() + (step + 1) * 1000);
    // Another process's inbox: it has not seen this conversation, so it takes the locking path.
    const elsewhere = anotherInbox(bot, counted);
    const confirmed = await statementsOf(() =>
      elsewhere.receive({
        channel: 'web',
        externalUserId: user,
        externalMessageId: randomUUID(),
        text: 'نعم',
        receivedAt: confirmedAt,
      }),
    );
    expect(confirmed.result.replies.at(-1)?.nodeId).toBe('submitted');
    // Identity, lock and store, the request with its history and notice, the turn: not one statement.
    expect(confirmed.statements).toBeGreaterThan(1);
    await expectCreatedRequest(confirmed.result, confirmedAt);
  });

  it('starting and leaving the intake restart its follow-ups in the one statement of the turn', async () => {
    const t0 = new Date('2026-03-05T09:00:00Z');
    const user = randomUUID();
    await say(user, 'السلام عليكم', t0);
    // Remembered from the greeting: the start is one statement, and hands back what it scheduled.
    const started = await statementsOf(() => say(user, '٢', new Date(t0.getTime() + 1000)));
    expect(started.statements).toBe(1);
    expect(started.result.replies.at(-1)?.nodeId).toBe('name');
    const scheduled = started.result.followUps;
    expect(scheduled.map((row) => [row.kind, row.status, row.due_at])).toEqual(
      expect.arrayContaining([
        ['intake_reminder', 'scheduled', new Date(t0.getTime() + 1000 + DAY)],
        ['intake_expiry', 'scheduled', new Date(t0.getTime() + 1000 + 7 * DAY)],
      ]),
    );
    expect(scheduled).toHaveLength(2);
    expect(scheduled.every((row) => row.created_at instanceof Date && row.finished_at === null)).toBe(true);
    const conversationId = started.result.conversationId;
    expect(await followUpsOf(conversationId)).toEqual(
      expect.arrayContaining(
        scheduled.map((row) => ({
          id: row.id,
          kind: row.kind,
          status: 'scheduled',
          outcome: null,
          due_at: row.due_at,
          finished_at: null,
        })),
      ),
    );

    // Cancelling the intake: one statement again, both cancelled, nothing new scheduled.
    const t1 = new Date(t0.getTime() + HOUR);
    const cancelled = await statementsOf(() => say(user, 'إلغاء', t1));
    expect(cancelled.statements).toBe(1);
    expect(cancelled.result.followUps).toEqual([]);
    expect((await followUpsOf(conversationId)).map((row) => [row.kind, row.status, row.finished_at])).toEqual(
      [
        ['intake_expiry', 'cancelled', t1],
        ['intake_reminder', 'cancelled', t1],
      ],
    );
  });

  it("saveTurn with no replies updates the conversation in one statement; only a turn that answers the beneficiary stamps the last answer's time", async () => {
    const { conversation } = await newWebConversation(db);
    const turn = {
      mode: 'bot',
      flowId: 'intake',
      nodeId: 'city',
      state: { flowId: 'intake' },
      locale: 'en',
    } as const;
    const answeredAt = new Date('2026-04-02T10:00:00Z');
    const saved = await statementsOf(() =>
      saveTurn(counted, conversation.id, { ...turn, at: answeredAt, inbound: true }, []),
    );
    expect(saved).toEqual({ result: { replies: [], version: expect.any(String) }, statements: 1 });
    const stored = () =>
      db
        .selectFrom('conversations')
        .select(['mode', 'node_id', 'locale', 'updated_at', 'last_inbound_at'])
        .where('id', '=', conversation.id)
        .executeTakeFirstOrThrow();
    expect(await stored()).toEqual({
      mode: 'bot',
      node_id: 'city',
      locale: 'en',
      updated_at: answeredAt,
      last_inbound_at: answeredAt,
    });
    // A follow-up's or staff's turn later: the last answer's time stays.
    const eventAt = new Date('2026-04-03T10:00:00Z');
    await saveTurn(db, conversation.id, { ...turn, mode: 'waiting', at: eventAt }, []);
    expect(await stored()).toEqual({
      mode: 'waiting',
      node_id: 'city',
      locale: 'en',
      updated_at: eventAt,
      last_inbound_at: answeredAt,
    });
  });

  it('an intake reminder run is two statements: the row and its conversation read, then the turn saved with the row done at the version read', async () => {
    const t0 = new Date('2026-05-01T09:00:00Z');
    const user = randomUUID();
    const conversationId = await startIntake(user, t0);
    const reminder = await intakeRow(conversationId, 'intake_reminder');

    // Woken before its row's time (put back to a later one): one statement, nothing locked.
    clockNow = new Date(t0.getTime() + HOUR);
    const early = await statementsOf(() => runner.run(reminder?.id as string));
    expect(early.result.outcome).toBe('not due yet');
    expect(early.statements).toBe(1);

    clockNow = new Date(t0.getTime() + 25 * HOUR);
    const run = await statementsOf(() => runner.run(reminder?.id as string));
    expect(run.result.outcome).toBe('sent');
    expect(run.result.conversationId).toBe(conversationId);
    expect(run.result.replies.map((reply) => reply.nodeId)).toEqual(['intake_reminder', 'name']);
    expect(run.statements).toBe(2);
    expect(await intakeRow(conversationId, 'intake_reminder', 'done')).toMatchObject({
      outcome: 'sent',
      finished_at: clockNow,
    });
    const stored = await db
      .selectFrom('messages')
      .select('node_id')
      .where(
        'id',
        'in',
        run.result.replies.map((reply) => reply.id),
      )
      .execute();
    expect(stored).toHaveLength(2);

    // Run again (a redelivered job): nothing more.
    expect((await runner.run(reminder?.id as string)).outcome).toBe('already handled');

    // The expiry: two statements as well, and the intake is discarded.
    const expiry = await intakeRow(conversationId, 'intake_expiry');
    clockNow = new Date(t0.getTime() + 8 * DAY);
    const expired = await statementsOf(() => runner.run(expiry?.id as string));
    expect(expired.result.replies[0]?.nodeId).toBe('intake_expired');
    expect(expired.statements).toBe(2);
    expect(await intakeRow(conversationId, 'intake_expiry', 'done')).toMatchObject({ outcome: 'sent' });
    expect(
      await db
        .selectFrom('conversations')
        .select(['flow_id', 'node_id'])
        .where('id', '=', conversationId)
        .executeTakeFirstOrThrow(),
    ).toEqual({ flow_id: 'main_menu', node_id: 'menu' });
  });

  it('a run whose statement fails after storing its messages leaves neither the messages nor the row done', async () => {
    const t0 = new Date('2026-06-01T09:00:00Z');
    const conversationId = await startIntake(randomUUID(), t0);
    const reminder = await intakeRow(conversationId, 'intake_reminder');
    const messagesBefore = await db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', conversationId)
      .execute();
    clockNow = new Date(t0.getTime() + 25 * HOUR);
    // The row's finish is the statement's last write (after the messages' insert): failing it in
    // the database fails the statement whole, and its COMMIT (sent with it) is skipped.
    await sql`create function fail_finish() returns trigger language plpgsql as $$
      begin raise exception 'injected failure'; end $$`.execute(db);
    await sql`create trigger fail_finish before update on follow_ups for each row
      when (new.status = 'done') execute function fail_finish()`.execute(db);
    try {
      await expect(runner.run(reminder?.id as string)).rejects.toThrow('injected failure');
    } finally {
      await sql`drop trigger fail_finish on follow_ups`.execute(db);
      await sql`drop function fail_finish()`.execute(db);
    }
    expect(await intakeRow(conversationId, 'intake_reminder')).toEqual(reminder);
    expect(
      await db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute(),
    ).toEqual(messagesBefore);
    // Run again, it goes through.
    expect((await runner.run(reminder?.id as string)).outcome).toBe('sent');
    expect(await intakeRow(conversationId, 'intake_reminder', 'done')).toMatchObject({ outcome: 'sent' });
  });

  it('a run that waited for its row sees the row and the conversation as committed meanwhile', async () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    /** Runs the follow-up while another transaction holds its row and does `meanwhile`. */
    async function runWhileHeld(id: string, meanwhile: (trx: Kysely<Database>) => Promise<void>) {
      let run: Promise<Awaited<ReturnType<FollowUpRunner['run']>>> | undefined;
      await db.transaction().execute(async (trx) => {
        await trx.selectFrom('follow_ups').select('id').where('id', '=', id).forUpdate().execute();
        run = runner.run(id);
        await sleep(300); // the run's one locking statement is waiting for the row now
        await meanwhile(trx);
      });
      return (run as NonNullable<typeof run>).then((result) => result.outcome);
    }
    const t0 = new Date('2026-09-01T09:00:00Z');
    clockNow = new Date(t0.getTime() + 25 * HOUR);

    // An answer came while the run waited: not due yet, put back to a day after the answer.
    const answering = await startIntake(randomUUID(), t0);
    const moved = await intakeRow(answering, 'intake_reminder');
    const movedOutcome = await runWhileHeld(moved?.id as string, async (trx) => {
      await trx
        .updateTable('conversations')
        .set({ last_inbound_at: clockNow, node_id: 'national_id' })
        .where('id', '=', answering)
        .execute();
    });
    expect(movedOutcome).toBe('not due yet');
    expect(await intakeRow(answering, 'intake_reminder')).toEqual({
      ...moved,
      due_at: new Date(clockNow.getTime() + DAY),
    });

    // Staff took the conversation while the run waited: its latest version is what the run sees.
    const takenOver = await startIntake(randomUUID(), t0);
    const held = await intakeRow(takenOver, 'intake_reminder');
    const takenOutcome = await runWhileHeld(held?.id as string, async (trx) => {
      await trx.updateTable('conversations').set({ mode: 'staff' }).where('id', '=', takenOver).execute();
    });
    expect(takenOutcome).toBe('conversation moved on');
  });

  it('reminders due together share their statements: eight runs at once, each sent once, in at most four statements', async () => {
    const t0 = new Date('2026-10-01T09:00:00Z');
    const conversations = await Promise.all(
      Array.from({ length: 8 }, (_, i) => startIntake(randomUUID(), new Date(t0.getTime() + i * 1000))),
    );
    const reminders = await Promise.all(conversations.map((id) => intakeRow(id, 'intake_reminder')));
    clockNow = new Date(t0.getTime() + 25 * HOUR);
    const runs = await statementsOf(() =>
      Promise.all(reminders.map((reminder) => runner.run(reminder?.id as string, 'intake_reminder'))),
    );
    // One run alone is two statements (above); eight alone would be sixteen. Here the first read
    // goes at once and the other seven wait for it and go together, and so do the saves.
    expect(runs.statements).toBeLessThanOrEqual(4);
    for (const [i, run] of runs.result.entries()) {
      expect(run).toMatchObject({ outcome: 'sent', conversationId: conversations[i] });
      expect(run.replies.map((reply) => reply.nodeId)).toEqual(['intake_reminder', 'name']);
    }
    for (const conversationId of conversations) {
      expect(await intakeRow(conversationId, 'intake_reminder', 'done')).toMatchObject({ outcome: 'sent' });
      const stored = await db
        .selectFrom('messages')
        .select('node_id')
        .where('conversation_id', '=', conversationId)
        .where('node_id', '=', 'intake_reminder')
        .execute();
      expect(stored).toHaveLength(1);
    }
  });

  it.each([
    {
      change: 'staff took the conversation',
      outcome: 'conversation moved on',
      status: 'skipped',
      write: async (trx: Kysely<Database>, ids: { conversation: string; reminder: string }) => {
        await trx
          .updateTable('conversations')
          .set({ mode: 'staff' })
          .where('id', '=', ids.conversation)
          .execute();
      },
    },
    {
      change: 'the reminder was cancelled',
      outcome: 'already handled',
      status: 'cancelled',
      write: async (trx: Kysely<Database>, ids: { conversation: string; reminder: string }) => {
        await trx
          .updateTable('follow_ups')
          .set({ status: 'cancelled', outcome: 'no longer relevant', finished_at: new Date() })
          .where('id', '=', ids.reminder)
          .execute();
      },
    },
    {
      change: 'an answer moved the reminder on',
      outcome: 'not due yet',
      status: 'scheduled',
      write: async (trx: Kysely<Database>, ids: { conversation: string; reminder: string }) => {
        // What an answer writes: the conversation's turn, with its time.
        await trx
          .updateTable('conversations')
          .set({ node_id: 'national_id', last_inbound_at: clockNow })
          .where('id', '=', ids.conversation)
          .execute();
      },
    },
  ])(
    'a reminder read just before $change is not saved at the old version: the locking way finds it out',
    async ({ write, outcome, status }) => {
      const t0 = new Date('2026-11-01T09:00:00Z');
      const conversationId = await startIntake(randomUUID(), t0);
      const reminder = await intakeRow(conversationId, 'intake_reminder');
      const ids = { conversation: conversationId, reminder: reminder?.id as string };
      clockNow = new Date(t0.getTime() + 25 * HOUR);
      // The change commits after the run's unlocked read, while the engine computes its turn (not
      // inside a statement's result: PGlite's one connection is busy until that returns).
      let changed = false;
      const engine = Object.create(bot.engine) as typeof bot.engine;
      engine.handleEvent = async (input) => {
        if (!changed) {
          changed = true;
          await db.transaction().execute((trx) => write(trx, ids));
        }
        return bot.engine.handleEvent(input);
      };
      const racing = new FollowUpRunner({
        db: counted,
        engine,
        catalog: bot.catalog,
        throttle: { maxFailures: 3, blockMs: 60_000 },
        defaultLocale: 'ar',
        policy: bot.policy,
        clock: { now: () => clockNow },
        logger: silentLogger,
      });
      const run = await statementsOf(() => racing.run(ids.reminder, 'intake_reminder'));
      expect(changed).toBe(true);
      expect(run.result.outcome).toBe(outcome);
      expect(run.result.replies).toEqual([]);
      // The run read, tried to save at the version it read, then locked.
      expect(run.statements).toBeGreaterThanOrEqual(3);
      const sent = await db
        .selectFrom('messages')
        .select('id')
        .where('conversation_id', '=', conversationId)
        .where('node_id', '=', 'intake_reminder')
        .execute();
      expect(sent).toEqual([]);
      expect(
        await db
          .selectFrom('follow_ups')
          .select('status')
          .where('id', '=', ids.reminder)
          .executeTakeFirstOrThrow(),
      ).toEqual({ status });
    },
  );

  it('a reminder whose conversation moved on is finished by a plain update, the conversation untouched', async () => {
    const t0 = new Date('2026-07-01T09:00:00Z');
    const conversationId = await startIntake(randomUUID(), t0);
    const reminder = await intakeRow(conversationId, 'intake_reminder');
    await db.updateTable('conversations').set({ mode: 'staff' }).where('id', '=', conversationId).execute();
    const before = await db
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', conversationId)
      .executeTakeFirstOrThrow();
    clockNow = new Date(t0.getTime() + 25 * HOUR);
    const run = await statementsOf(() => runner.run(reminder?.id as string));
    expect(run.result).toEqual({ replies: [], outcome: 'conversation moved on' });
    // The unlocked read, then the locking way (which skips): its lock, and the row's finish.
    expect(run.statements).toBe(3);
    expect(await intakeRow(conversationId, 'intake_reminder', 'skipped')).toMatchObject({
      outcome: 'conversation moved on',
      finished_at: clockNow,
    });
    expect(
      await db
        .selectFrom('conversations')
        .selectAll()
        .where('id', '=', conversationId)
        .executeTakeFirstOrThrow(),
    ).toEqual(before);
  });

  it('a follow-up with no conversation of its own (a status notice) is locked alone, and finished with its message', async () => {
    const t0 = new Date('2026-08-01T09:00:00Z');
    const notice = await statusNotice(t0);
    clockNow = new Date(t0.getTime() + HOUR);
    const run = await runner.run(notice.id);
    expect(run.outcome).toBe('sent');
    expect(run.conversationId).toBe(notice.conversationId);
    expect(run.replies[0]?.nodeId).toBe('status_notice');
    const row = await db
      .selectFrom('follow_ups')
      .select(['status', 'outcome', 'finished_at'])
      .where('id', '=', notice.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'done', outcome: 'sent', finished_at: clockNow });
  });

  it('at most four locking runs hold a transaction at once, however many follow-ups run', async () => {
    const t0 = new Date('2026-08-15T09:00:00Z');
    const notices: string[] = [];
    for (let i = 0; i < 6; i++) notices.push((await statusNotice(t0)).id);
    clockNow = new Date(t0.getTime() + HOUR);
    // The engine runs inside each locking run's transaction: held there, the runs pile up.
    let inside = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const engine = Object.create(bot.engine) as typeof bot.engine;
    engine.handleEvent = async (input) => {
      inside++;
      await gate;
      return bot.engine.handleEvent(input);
    };
    const gated = new FollowUpRunner({
      db,
      engine,
      catalog: bot.catalog,
      throttle: { maxFailures: 3, blockMs: 60_000 },
      defaultLocale: 'ar',
      policy: bot.policy,
      clock: { now: () => clockNow },
      logger: silentLogger,
    });
    const runs = Promise.all(notices.map((id) => gated.run(id, 'status_notice')));
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    for (let waited = 0; inside < (dialect === 'postgres' ? 4 : 1) && waited < 5000; waited += 20)
      await sleep(20);
    await sleep(200);
    // PGlite has one connection, so one transaction at a time there anyway.
    expect(inside).toBe(dialect === 'postgres' ? 4 : 1);
    release();
    expect((await runs).map((run) => run.outcome)).toEqual(notices.map(() => 'sent'));
    expect(inside).toBe(6);
  });
});
