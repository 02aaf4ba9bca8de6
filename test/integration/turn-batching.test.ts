import { randomUUID } from 'node:crypto';
import type { Kysely, KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/channels/types.js';
import type { Inbox } from '../../src/inbox/inbox.js';
import { TurnBatcher } from '../../src/inbox/turn-batcher.js';
import { createSupportRequest } from '../../src/storage/repositories/requests.js';
import {
  conversationVersion,
  saveTurnsAtVersion,
  type VersionedTurn,
} from '../../src/storage/repositories/versioned-turn.js';
import type { Database } from '../../src/storage/schema.js';
import { anotherInbox, createTestBot, type TestBot } from '../support/bot.js';
import { DIALECTS } from '../support/databases.js';
import { plannedSampleRequest } from '../support/intake.js';

/** Counts the statements that came back from the database. */
class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery: KyselyPlugin['transformQuery'] = (args) => args.node;
  transformResult: KyselyPlugin['transformResult'] = async (args) => {
    this.count++;
    return args.result;
  };
}

/**
 * One-statement turns of different conversations that are ready at the same time share one
 * statement (group commit, TurnBatcher → saveTurnsAtVersion). Each turn in it must come out as
 * if it had been written alone: applied only when its own conversation is still at the version
 * it was computed from, never half, and never two of one conversation together.
 */
describe.each(DIALECTS)('turns written together on %s', (dialect) => {
  let bot: TestBot;
  let db: Kysely<Database>;
  const counter = new StatementCounter();
  let inbox: Inbox;

  beforeAll(async () => {
    bot = await createTestBot(dialect);
    db = bot.database.db;
    inbox = anotherInbox(bot, db.withPlugin(counter));
  });
  afterAll(async () => {
    await bot.drop();
  });

  const message = (user: string, text: string): InboundMessage => ({
    channel: 'web',
    externalUserId: user,
    externalMessageId: randomUUID(),
    text,
  });

  async function stored(conversationId: string) {
    const row = await db
      .selectFrom('conversations')
      .select(['flow_id', 'node_id', 'state', conversationVersion.as('version')])
      .where('id', '=', conversationId)
      .executeTakeFirstOrThrow();
    const messages = await db
      .selectFrom('messages')
      .select(['id', 'direction', 'text', 'node_id', 'reply_to_id'])
      .where('conversation_id', '=', conversationId)
      .orderBy('created_at')
      .orderBy('position')
      .execute();
    return { ...row, messages };
  }

  /** A conversation greeted through the bot's own inbox, and a turn written against it as it is. */
  async function conversationWithTurn(text: string): Promise<VersionedTurn> {
    const greeted = await bot.inbox.receive(message(randomUUID(), 'السلام عليكم'));
    const row = await stored(greeted.conversationId);
    const at = new Date();
    return {
      conversationId: greeted.conversationId,
      version: row.version,
      identityPhone: null,
      inbound: { channel: 'web', externalId: randomUUID(), text, mediaKind: null },
      turn: {
        mode: 'bot',
        flowId: 'faq',
        nodeId: 'about',
        locale: 'ar',
        at,
        stateJson: JSON.stringify({ ...(row.state as object), flowId: 'faq', nodeId: 'about' }),
      },
      replies: [0, 1].map((position) => ({
        conversationId: greeted.conversationId,
        channel: 'web',
        sender: 'bot',
        text: `رد ${position} على ${text}`,
        choices: ['القائمة'],
        flowId: 'faq',
        nodeId: 'about',
        replyToId: null,
        position,
        deliveryStatus: 'sent',
        inputHint: null,
      })),
    };
  }

  it('stores concurrent beneficiaries’ turns in fewer statements than turns, each turn exactly right', async () => {
    const users = Array.from({ length: 8 }, () => randomUUID());
    // Greeted, then at the menu: each conversation is remembered by this inbox.
    for (const user of users) await inbox.receive(message(user, 'السلام عليكم'));

    counter.count = 0;
    const results = await Promise.all(users.map((user) => inbox.receive(message(user, '٢'))));
    expect(counter.count).toBeLessThan(users.length);

    for (const result of results) {
      expect(result.replies.at(-1)?.nodeId).toBe('name');
      const row = await stored(result.conversationId);
      expect(row).toMatchObject({ flow_id: 'intake', node_id: 'name' });
      const inbound = row.messages.filter((m) => m.direction === 'in').map((m) => m.text);
      expect(inbound).toEqual(['السلام عليكم', '٢']);
      // Each reply points at its own conversation's message, and at no other.
      const replies = row.messages.filter((m) => m.reply_to_id === result.inboundId);
      expect(replies.map((m) => m.id)).toEqual(result.replies.map((r) => r.id));
    }
    // And every conversation goes on from where its own turn left it.
    const next = await Promise.all(
      users.map((user) => inbox.receive(message(user, 'محمد عبدالله القحطاني'))),
    );
    expect(next.map((result) => result.replies.at(-1)?.nodeId)).toEqual(users.map(() => 'national_id'));
  });

  it('applies each turn whose conversation is at its version, and writes nothing of one that moved on', async () => {
    const turns = await Promise.all(['أ', 'ب', 'ج'].map(conversationWithTurn));
    const moved = turns[1] as VersionedTurn;
    // Someone else changes the middle conversation after its turn was computed.
    await db
      .updateTable('conversations')
      .set({ locale: 'ar' })
      .where('id', '=', moved.conversationId)
      .execute();
    const before = await stored(moved.conversationId);

    const results = await saveTurnsAtVersion(db, turns);
    expect(results.map((result) => result.applied)).toEqual([true, false, true]);
    expect(await stored(moved.conversationId)).toEqual(before);

    for (const [i, turn] of turns.entries()) {
      const result = results[i];
      if (!result?.applied) continue;
      const row = await stored(turn.conversationId);
      expect(row).toMatchObject({ flow_id: 'faq', node_id: 'about', version: result.version });
      const inbound = row.messages.find((m) => m.id === result.inboundId);
      expect(inbound).toMatchObject({ direction: 'in', text: turn.inbound.text });
      expect(row.messages.filter((m) => m.reply_to_id === result.inboundId).map((m) => m.text)).toEqual(
        turn.replies.map((reply) => reply.text),
      );
      expect(result.replies.map((reply) => reply.id)).toEqual(
        row.messages.filter((m) => m.reply_to_id === result.inboundId).map((m) => m.id),
      );
    }
  });

  it('writes nothing of a redelivered message, and the turns beside it stand', async () => {
    const [first, second] = await Promise.all(['أ', 'ب'].map(conversationWithTurn));
    if (!first || !second) throw new Error('two turns expected');
    const [applied] = await saveTurnsAtVersion(db, [first]);
    if (!applied?.applied) throw new Error('the first turn should apply');
    // The same message again, as if computed from the version its first delivery wrote.
    const redelivered = { ...first, version: applied.version };
    const before = await stored(first.conversationId);
    const results = await saveTurnsAtVersion(db, [redelivered, second]);
    expect(results.map((result) => result.applied)).toEqual([false, true]);
    expect(await stored(first.conversationId)).toEqual(before);
  });

  it('never puts two turns of one conversation in one statement: the later one finds the version moved on', async () => {
    const turn = await conversationWithTurn('أ');
    const other = await conversationWithTurn('ب');
    const sameAgain: VersionedTurn = {
      ...turn,
      inbound: { ...turn.inbound, externalId: randomUUID(), text: 'أ مرة أخرى' },
    };
    await expect(saveTurnsAtVersion(db, [turn, sameAgain])).rejects.toThrow(/two turns of one conversation/);

    const batcher = new TurnBatcher(db, { maxInFlight: 1 });
    const results = await Promise.all([batcher.save(turn), batcher.save(sameAgain), batcher.save(other)]);
    expect(results.map((result) => result.applied)).toEqual([true, false, true]);
    const row = await stored(turn.conversationId);
    expect(row.messages.filter((m) => m.direction === 'in').map((m) => m.text)).toEqual([
      'السلام عليكم',
      'أ',
    ]);
  });

  it('fails every turn of a statement that fails, writing none of them', async () => {
    const good = await conversationWithTurn('أ');
    const broken = await conversationWithTurn('ب');
    // No time for the turn: conversations.updated_at is not null, so the statement fails.
    broken.turn = { ...broken.turn, at: new Date(Number.NaN) };
    const before = await stored(good.conversationId);

    const batcher = new TurnBatcher(db, { maxInFlight: 1 });
    const blocker = await conversationWithTurn('ج');
    // The first statement takes `blocker` alone; `good` and `broken` wait and go together.
    const results = await Promise.allSettled([
      batcher.save(blocker),
      batcher.save(good),
      batcher.save(broken),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(await stored(good.conversationId)).toEqual(before);
  });

  // PostgreSQL only: PGlite is one session, where a second transaction cannot even start meanwhile.
  if (dialect === 'postgres')
    it('does not wait for a conversation another transaction holds: that turn is left out, the others apply', async () => {
      const [held, free] = await Promise.all(['أ', 'ب'].map(conversationWithTurn));
      if (!held || !free) throw new Error('two turns expected');
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked: () => void = () => undefined;
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      // Staff (or another process) holding the row in a transaction that is still open.
      const holder = db.transaction().execute(async (trx) => {
        await trx
          .selectFrom('conversations')
          .select('id')
          .where('id', '=', held.conversationId)
          .forUpdate()
          .execute();
        locked();
        await released;
      });
      await isLocked;
      try {
        const results = await saveTurnsAtVersion(db, [held, free]);
        expect(results.map((result) => result.applied)).toEqual([false, true]);
      } finally {
        release();
        await holder;
      }
      const row = await stored(held.conversationId);
      expect(row.messages.filter((m) => m.direction === 'in').map((m) => m.text)).toEqual(['السلام عليكم']);
    });

  it('answers a look-up of the beneficiary’s requests without a transaction', async () => {
    const user = randomUUID();
    await inbox.receive(message(user, 'السلام عليكم'));
    counter.count = 0;
    const result = await inbox.receive(message(user, 'حالة طلبي'));
    expect(result.replies.at(-1)).toMatchObject({ flowId: 'status', nodeId: 'none' });
    // The look-up's read and the turn's statement; no BEGIN, lock or COMMIT of the locking path.
    expect(counter.count).toBe(2);
    const row = await stored(result.conversationId);
    expect(row).toMatchObject({ flow_id: 'status' });
    expect(row.messages.filter((m) => m.direction === 'in').map((m) => m.text)).toEqual([
      'السلام عليكم',
      'حالة طلبي',
    ]);
  });

  /** `turn` carrying the request its conversation's beneficiary confirmed. */
  async function withRequest(turn: VersionedTurn, reference?: string): Promise<VersionedTurn> {
    const { contact_id } = await db
      .selectFrom('conversations')
      .select('contact_id')
      .where('id', '=', turn.conversationId)
      .executeTakeFirstOrThrow();
    const planned = plannedSampleRequest(contact_id, turn.conversationId);
    return { ...turn, request: reference ? { ...planned, reference } : planned };
  }

  const requestsOf = (conversationId: string) =>
    db
      .selectFrom('support_requests')
      .select(['id', 'reference', 'full_name', 'status'])
      .where('conversation_id', '=', conversationId)
      .execute();

  it('creates a confirmed request with its turn, beside other turns, with its history and follow-ups', async () => {
    const plain = await conversationWithTurn('أ');
    const confirming = await withRequest(await conversationWithTurn('نعم'));
    const results = await saveTurnsAtVersion(db, [plain, confirming]);
    expect(results.map((result) => result.applied)).toEqual([true, true]);

    const requests = await requestsOf(confirming.conversationId);
    expect(requests).toEqual([
      {
        id: expect.any(String),
        reference: confirming.request?.reference,
        full_name: 'سارة محمد',
        status: 'submitted',
      },
    ]);
    const requestId = requests[0]?.id as string;
    const history = await db
      .selectFrom('request_status_history')
      .select(['status', 'changed_by'])
      .where('request_id', '=', requestId)
      .execute();
    expect(history).toEqual([{ status: 'submitted', changed_by: 'beneficiary' }]);
    // The follow-up comes back with its own turn, for the queue; the plain turn gets none.
    const [plainResult, confirmingResult] = results;
    if (!plainResult?.applied || !confirmingResult?.applied) throw new Error('both turns should apply');
    expect(confirmingResult.scheduled.map((row) => [row.kind, row.request_id, row.status])).toEqual([
      ['review_notice', requestId, 'scheduled'],
    ]);
    expect(plainResult.scheduled).toEqual([]);
    expect(await requestsOf(plain.conversationId)).toEqual([]);
  });

  it('writes nothing of a confirming turn whose reference is taken, and the turns beside it stand', async () => {
    const other = await conversationWithTurn('أ');
    const planned = (await withRequest(other)).request;
    if (!planned) throw new Error('a planned request expected');
    const taken = await createSupportRequest(db, planned.request);
    const confirming = await withRequest(await conversationWithTurn('نعم'), taken.reference);
    const before = await stored(confirming.conversationId);
    const results = await saveTurnsAtVersion(db, [confirming, other]);
    expect(results.map((result) => result.applied)).toEqual([false, true]);
    // Neither the request nor any part of the turn: the inbox then takes the locking path.
    expect(await stored(confirming.conversationId)).toEqual(before);
    expect(await requestsOf(confirming.conversationId)).toEqual([]);
  });

  it('a beneficiary confirming the intake gets the request in one statement, and it is theirs', async () => {
    const user = randomUUID();
    const answers = [
      'السلام عليكم',
      '٢',
      'سارة محمد',
      '1000000008',
      '0551234567',
      'جدة',
      '١',
      '٤',
      '2500',
      'إيجار متأخر',
    ];
    for (const text of answers) await inbox.receive(message(user, text));
    counter.count = 0;
    const confirmed = await inbox.receive(message(user, 'نعم'));
    expect(counter.count).toBe(1);
    expect(confirmed.replies.at(-1)).toMatchObject({ flowId: 'intake', nodeId: 'submitted' });
    const [request] = await requestsOf(confirmed.conversationId);
    expect(confirmed.replies.at(-1)?.text).toContain(request?.reference);
    // Looked up by its owner, in the same conversation.
    const status = await inbox.receive(message(user, 'حالة طلبي'));
    expect(status.replies.map((reply) => reply.text).join('\n')).toContain(request?.reference);
  });
});
