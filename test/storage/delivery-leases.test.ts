import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acquireDeliveryLeasesIfPending,
  type HeldLease,
  leaseAcquisition,
  type Settlement,
  settleUnderLeases,
} from '../../src/storage/repositories/delivery-leases.js';
import type { ChannelName, Database } from '../../src/storage/schema.js';
import { createTestBot, type TestBot } from '../support/bot.js';
import { DIALECTS } from '../support/databases.js';
import { planRolledBack, rowsRead } from '../support/query-plans.js';

const TTL_MS = 60_000;

/** One conversation's lease, as a pass on its own asks for it. */
async function acquireDeliveryLeaseIfPending(
  db: Kysely<Database>,
  conversationId: string,
  holder: string,
  ttlMs: number,
  channels: readonly ChannelName[],
) {
  const attempts = await acquireDeliveryLeasesIfPending(db, [{ conversationId, holder, ttlMs }], channels);
  const attempt = attempts.get(conversationId);
  if (!attempt) throw new Error('no answer for the asked conversation');
  return attempt;
}

/** A message recorded as sent under `lease`, which is then renewed or released. */
const sent = (lease: HeldLease, messageId: string | undefined, then: 'renew' | 'release'): Settlement => ({
  lease,
  messageId: messageId as string,
  settlement: { status: 'sent' },
  then,
});

describe.each(DIALECTS)('delivery leases on %s', (dialect) => {
  let bot: TestBot;

  beforeAll(async () => {
    bot = await createTestBot(dialect);
  });
  afterAll(async () => {
    await bot.drop();
  });

  /** A conversation over Telegram whose replies wait for delivery. */
  async function pendingConversation() {
    const result = await bot.inbox.receive({
      channel: 'telegram',
      externalUserId: randomUUID(),
      externalMessageId: randomUUID(),
      text: 'السلام عليكم',
    });
    expect(result.pendingDelivery).toBe(true);
    return result;
  }

  it('taking a lease does not turn off waiting for the disk for anything after it on the connection', async () => {
    const { conversationId } = await pendingConversation();
    const setting = await bot.database.db.connection().execute(async (connection) => {
      const attempt = await acquireDeliveryLeaseIfPending(connection, conversationId, randomUUID(), TTL_MS, [
        'telegram',
      ]);
      expect(attempt.taken).toBe(true);
      const { rows } = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(connection);
      return rows[0]?.synchronous_commit;
    });
    // The statement's own `set_config(…, true)` ends with its transaction: the records of sent
    // messages still wait for the disk.
    expect(setting).toBe('on');
  });

  it('a deliverer that finds the lease held raises its flag, and the holder’s release reports it', async () => {
    const { conversationId, replies } = await pendingConversation();
    const db = bot.database.db;
    const holder = randomUUID();
    const first = await acquireDeliveryLeaseIfPending(db, conversationId, holder, TTL_MS, ['telegram']);
    expect(first).toMatchObject({ pending: true, taken: true, recovered: false });
    expect(first.messages.map((message) => message.id)).toEqual(replies.map((reply) => reply.id));

    const other = randomUUID();
    const refused = await acquireDeliveryLeaseIfPending(db, conversationId, other, TTL_MS, ['telegram']);
    expect(refused).toMatchObject({ pending: true, taken: false, messages: [] });
    const lease = await db
      .selectFrom('delivery_leases')
      .select(['holder', 'again'])
      .where('conversation_id', '=', conversationId)
      .executeTakeFirstOrThrow();
    // Still the holder's, now flagged.
    expect(lease).toEqual({ holder, again: true });

    const lease0 = { conversationId, holder, ttlMs: TTL_MS };
    const [one, two] = first.messages;
    const renewed = await settleUnderLeases(db, [sent(lease0, one?.id, 'renew')]);
    expect([...renewed.renewed]).toEqual([conversationId]);
    const released = await settleUnderLeases(db, [sent(lease0, two?.id, 'release')]);
    expect([...released.again]).toEqual([conversationId]);
    expect(
      await db
        .selectFrom('delivery_leases')
        .select('holder')
        .where('conversation_id', '=', conversationId)
        .execute(),
    ).toEqual([]);

    // Nothing pending now: the next deliverer neither takes nor flags anything.
    const after = await acquireDeliveryLeaseIfPending(db, conversationId, other, TTL_MS, ['telegram']);
    expect(after).toMatchObject({ pending: false, taken: false });
  });

  it('a release nobody asked more of reports nothing, and an expired lease is taken over as recovered', async () => {
    const { conversationId } = await pendingConversation();
    const db = bot.database.db;
    const holder = randomUUID();
    const first = await acquireDeliveryLeaseIfPending(db, conversationId, holder, TTL_MS, ['telegram']);
    expect(first.taken).toBe(true);
    // The holder died: its lease runs out.
    await db
      .updateTable('delivery_leases')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('conversation_id', '=', conversationId)
      .execute();
    const next = randomUUID();
    const taken = await acquireDeliveryLeaseIfPending(db, conversationId, next, TTL_MS, ['telegram']);
    expect(taken).toMatchObject({ pending: true, taken: true, recovered: true });
    const lease = { conversationId, holder: next, ttlMs: TTL_MS };
    // One record at a time, as a deliverer sends: renewals, then the release after the last.
    let again = 0;
    for (const [i, message] of taken.messages.entries()) {
      const then = i === taken.messages.length - 1 ? 'release' : 'renew';
      const outcome = await settleUnderLeases(db, [sent(lease, message.id, then)]);
      if (then === 'renew') expect(outcome.renewed.has(conversationId)).toBe(true);
      again += outcome.again.size;
    }
    expect(again).toBe(0);
    // The dead holder's late record does not touch the new holder's lease.
    expect(
      (
        await settleUnderLeases(db, [
          sent({ conversationId, holder, ttlMs: TTL_MS }, taken.messages[0]?.id, 'release'),
        ])
      ).again.size,
    ).toBe(0);
  });

  it('takes several conversations’ leases in one statement, each with its own messages, in order', async () => {
    const db = bot.database.db;
    const [free, held, nothing] = [
      await pendingConversation(),
      await pendingConversation(),
      await pendingConversation(),
    ];
    // One is held by another deliverer; one has nothing left to send.
    const holderOfHeld = randomUUID();
    await acquireDeliveryLeaseIfPending(db, held.conversationId, holderOfHeld, TTL_MS, ['telegram']);
    await db
      .updateTable('messages')
      .set({ delivery_status: 'sent' })
      .where('conversation_id', '=', nothing.conversationId)
      .execute();

    const holder = randomUUID();
    const asked = [free, held, nothing].map(({ conversationId }) => ({
      conversationId,
      holder,
      ttlMs: TTL_MS,
    }));
    const attempts = await acquireDeliveryLeasesIfPending(db, asked, ['telegram']);
    const mine = attempts.get(free.conversationId);
    expect(mine).toMatchObject({ pending: true, taken: true, recovered: false });
    expect(mine?.messages.map((message) => message.id)).toEqual(free.replies.map((reply) => reply.id));
    expect(mine?.messages.every((message) => message.conversation_id === free.conversationId)).toBe(true);
    expect(attempts.get(held.conversationId)).toEqual({
      pending: true,
      taken: false,
      recovered: false,
      messages: [],
    });
    expect(attempts.get(nothing.conversationId)).toEqual({
      pending: false,
      taken: false,
      recovered: false,
      messages: [],
    });
    const leases = await db
      .selectFrom('delivery_leases')
      .select(['conversation_id', 'holder', 'again'])
      .where('conversation_id', 'in', [free.conversationId, held.conversationId, nothing.conversationId])
      .orderBy('holder')
      .execute();
    // Ours taken, the other's untouched but flagged, none made for the conversation with nothing.
    expect(leases).toHaveLength(2);
    expect(leases).toContainEqual({ conversation_id: free.conversationId, holder, again: false });
    expect(leases).toContainEqual({
      conversation_id: held.conversationId,
      holder: holderOfHeld,
      again: true,
    });
  });

  it('reads only the asked conversation’s pending messages, however many others wait', async () => {
    const db = bot.database.db;
    const others = [];
    for (let i = 0; i < 6; i++) others.push(await pendingConversation());
    const asked = await pendingConversation();
    const query = leaseAcquisition(
      [{ conversationId: asked.conversationId, holder: randomUUID(), ttlMs: TTL_MS }],
      ['telegram'],
    );
    const plan = await planRolledBack(db, async (trx) => {
      const { rows } = await sql<{ 'QUERY PLAN': unknown }>`explain (analyze, format json) ${query}`.execute(
        trx,
      );
      return rows;
    });
    const scans = rowsRead(plan, 'messages', true);
    expect(scans.length).toBeGreaterThan(0);
    const waitingElsewhere = others.reduce((sum, other) => sum + other.replies.length, 0);
    expect(waitingElsewhere).toBeGreaterThanOrEqual(12);
    for (const { scan, rows } of scans) expect(rows, scan).toBeLessThanOrEqual(asked.replies.length);
  });
});
