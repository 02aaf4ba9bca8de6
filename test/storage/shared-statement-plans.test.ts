import { randomUUID } from 'node:crypto';
import { type CompiledQuery, type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FollowUpTurn, followUpTurnsQuery } from '../../src/storage/repositories/follow-up-turns.js';
import type { OutboundRecord } from '../../src/storage/repositories/messages.js';
import {
  conversationVersion,
  type VersionedTurn,
  versionedTurnsQuery,
} from '../../src/storage/repositories/versioned-turn.js';
import type { Database } from '../../src/storage/schema.js';
import { createTestBot, type TestBot } from '../support/bot.js';
import { DIALECTS } from '../support/databases.js';
import { plannedSampleRequest } from '../support/intake.js';
import { type PlanNode, planRolledBack, rowsRead } from '../support/query-plans.js';

/**
 * Beneficiaries already served, each with a follow-up and a support request: enough rows that
 * reading a whole table costs more than a look-up.
 */
const OTHER_CONVERSATIONS = 2_000;

/**
 * The plan the app runs a shared statement with: its generic plan, as a prepared statement is run
 * after its first executions (statement-cache.ts), executed with the query's payload and rolled back.
 */
async function genericPlan(db: Kysely<Database>, query: CompiledQuery): Promise<PlanNode> {
  return planRolledBack(db, async (trx) => {
    await sql`set local plan_cache_mode = force_generic_plan`.execute(trx);
    await sql.raw(`prepare plan_probe(jsonb) as ${query.sql}`).execute(trx);
    try {
      const payload = sql.lit(query.parameters[0] as string);
      const { rows } = await sql<{
        'QUERY PLAN': unknown;
      }>`explain (analyze, format json) execute plan_probe(${payload})`.execute(trx);
      return rows;
    } finally {
      await sql`deallocate plan_probe`.execute(trx);
    }
  });
}

/**
 * The statements many turns share (the inbox's and the follow-ups') lock their conversations by
 * primary key. PostgreSQL guesses 100 rows for the set-returning function the turns arrive in;
 * against that guess, joining on it alone had the prepared plan read the whole conversations
 * table on every statement — a cost that grows with every beneficiary ever served.
 */
describe.each(DIALECTS)('shared turn statements’ plans on %s', (dialect) => {
  let bot: TestBot;
  let db: Kysely<Database>;

  beforeAll(async () => {
    bot = await createTestBot(dialect);
    db = bot.database.db;
    await sql`
      with contact as (
        insert into contacts (display_name) select 'seed' from generate_series(1, ${OTHER_CONVERSATIONS})
        returning id
      ),
      identity as (
        insert into channel_identities (contact_id, channel, external_id)
        select id, 'web', 'seed-' || id from contact
        returning id, contact_id
      ),
      conversation as (
        insert into conversations (contact_id, identity_id, channel, mode, state)
        select contact_id, id, 'web', 'bot', '{}'::jsonb from identity
        returning id, contact_id
      ),
      follow_up as (
        insert into follow_ups (kind, contact_id, conversation_id, due_at, status)
        select 'intake_reminder', contact_id, id, now() - interval '1 minute', 'scheduled' from conversation
      )
      insert into support_requests (reference, contact_id, conversation_id, full_name, national_id,
        mobile_e164, city, support_type, family_size, monthly_income, description, status)
      select 'seed-' || n, contact_id, id, 'seed', '1000000008', '+966551234567', 'الرياض',
        'financial', 4, 3000, 'seed', 'submitted'
      from (select row_number() over () as n, contact_id, id from conversation) numbered
    `.execute(db);
  });

  /**
   * The plan as it is before the tables' statistics are gathered (a new installation, or rows
   * arriving faster than autovacuum analyzes them), then after: both must look rows up.
   */
  async function plansBeforeAndAfterAnalyze(query: CompiledQuery): Promise<PlanNode[]> {
    const before = await genericPlan(db, query);
    await sql`analyze`.execute(db);
    return [before, await genericPlan(db, query)];
  }

  function expectLookUps(plans: PlanNode[], tables: string[], most: number) {
    for (const [n, plan] of plans.entries())
      for (const table of tables) {
        const scans = rowsRead(plan, table);
        expect(scans.length, `plan ${n}: ${table}`).toBeGreaterThan(0);
        for (const { scan, rows } of scans)
          expect(rows, `plan ${n}: ${table}: ${scan}`).toBeLessThanOrEqual(most);
      }
  }
  afterAll(async () => {
    await bot.drop();
  });

  /** Two beneficiaries greeted through the bot, each with its conversation as it is now. */
  async function greeted() {
    return Promise.all(
      [randomUUID(), randomUUID()].map(async (user) => {
        const result = await bot.inbox.receive({
          channel: 'web',
          externalUserId: user,
          externalMessageId: randomUUID(),
          text: 'السلام عليكم',
        });
        const row = await db
          .selectFrom('conversations')
          .select(['contact_id', 'state', conversationVersion.as('version')])
          .where('id', '=', result.conversationId)
          .executeTakeFirstOrThrow();
        return { conversationId: result.conversationId, ...row };
      }),
    );
  }

  const reply = (conversationId: string, deliveryStatus: 'sent' | 'pending'): OutboundRecord => ({
    conversationId,
    channel: 'web',
    sender: 'bot',
    text: 'نبذة عن الجمعية',
    choices: ['القائمة'],
    flowId: 'faq',
    nodeId: 'about',
    replyToId: null,
    position: 0,
    deliveryStatus,
    inputHint: null,
  });

  const turnOf = (state: unknown) => ({
    mode: 'bot' as const,
    flowId: 'faq',
    nodeId: 'about',
    locale: 'ar' as const,
    at: new Date(),
    stateJson: JSON.stringify({ ...(state as object), flowId: 'faq', nodeId: 'about' }),
  });

  it('an inbound turns’ statement looks up its conversations, follow-ups and references instead of reading them all', async () => {
    const conversations = await greeted();
    const turns: VersionedTurn[] = conversations.map((conversation, n) => ({
      conversationId: conversation.conversationId,
      version: conversation.version,
      identityPhone: null,
      inbound: { channel: 'web', externalId: randomUUID(), text: 'من أنتم؟', mediaKind: null },
      turn: turnOf(conversation.state),
      replies: [reply(conversation.conversationId, 'sent')],
      // Leaving the intake cancels its reminder and expiry: the follow-ups are looked up too.
      restart: { kinds: ['intake_reminder', 'intake_expiry'], at: new Date(), fresh: [] },
      // The other confirms a support request: its reference is checked against those on file.
      ...(n === 1
        ? { request: plannedSampleRequest(conversation.contact_id, conversation.conversationId) }
        : {}),
    }));
    const plans = await plansBeforeAndAfterAnalyze(versionedTurnsQuery(turns, new Date()));
    expectLookUps(
      plans,
      ['conversations', 'channel_identities', 'follow_ups', 'support_requests'],
      turns.length,
    );
  });

  it('a follow-ups’ statement looks up its conversations and follow-ups instead of reading them all', async () => {
    const conversations = await greeted();
    const turns: FollowUpTurn[] = [];
    for (const conversation of conversations) {
      const followUp = await db
        .insertInto('follow_ups')
        .values({
          kind: 'intake_reminder',
          contact_id: conversation.contact_id,
          conversation_id: conversation.conversationId,
          basis: JSON.stringify({ flowId: 'intake' }),
          due_at: new Date(Date.now() - 60_000),
          status: 'scheduled',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      turns.push({
        followUpId: followUp.id,
        outcome: 'sent',
        conversationId: conversation.conversationId,
        version: conversation.version,
        identityPhone: null,
        turn: turnOf(conversation.state),
        replies: [reply(conversation.conversationId, 'pending')],
      });
    }
    const plans = await plansBeforeAndAfterAnalyze(followUpTurnsQuery(turns));
    expectLookUps(plans, ['conversations', 'channel_identities', 'follow_ups'], turns.length);
  });
});
