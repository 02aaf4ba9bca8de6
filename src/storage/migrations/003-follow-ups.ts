import { type Kysely, sql } from 'kysely';

/**
 * Follow-ups (reminders, expiries, review notices, status notices, surveys, SLA warnings) are
 * rows written in the same transaction as the change that calls for them, so a crash can never
 * lose one; the job queue only decides *when* each is looked at. Also: who handles a request,
 * which staff member wrote a message, and when staff first answered an escalation.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('follow_ups')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('conversation_id', 'uuid', (c) => c.references('conversations.id').onDelete('cascade'))
    .addColumn('request_id', 'uuid', (c) => c.references('support_requests.id').onDelete('cascade'))
    /** What the follow-up was scheduled against (a flow position, a status), to tell if it still applies. */
    .addColumn('basis', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('scheduled', 'done', 'cancelled', 'skipped')`),
    )
    .addColumn('outcome', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('follow_ups_scheduled_due')
    .on('follow_ups')
    .column('due_at')
    .where(sql.ref('status'), '=', 'scheduled')
    .execute();
  await db.schema
    .createIndex('follow_ups_conversation')
    .on('follow_ups')
    .columns(['conversation_id', 'kind'])
    .execute();
  await db.schema
    .createIndex('follow_ups_request')
    .on('follow_ups')
    .columns(['request_id', 'kind'])
    .execute();
  // One satisfaction survey per service: per delivered request, or per closed conversation.
  await db.schema
    .createIndex('follow_ups_one_survey_per_request')
    .on('follow_ups')
    .column('request_id')
    .unique()
    .where(sql<boolean>`kind = 'rating_survey' and request_id is not null`)
    .execute();
  await db.schema
    .createIndex('follow_ups_one_survey_per_conversation')
    .on('follow_ups')
    .column('conversation_id')
    .unique()
    .where(sql<boolean>`kind = 'rating_survey' and request_id is null`)
    .execute();

  // Who is delivering a conversation's messages right now: one deliverer per conversation keeps
  // them in order across worker processes; a crashed one's lease simply runs out.
  await db.schema
    .createTable('delivery_leases')
    .addColumn('conversation_id', 'uuid', (c) =>
      c.primaryKey().references('conversations.id').onDelete('cascade'),
    )
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema.alterTable('messages').addColumn('staff_id', 'text').execute();
  await db.schema.alterTable('support_requests').addColumn('assigned_to', 'text').execute();
  await db.schema.alterTable('escalations').addColumn('first_response_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('escalations').dropColumn('first_response_at').execute();
  await db.schema.alterTable('support_requests').dropColumn('assigned_to').execute();
  await db.schema.alterTable('messages').dropColumn('staff_id').execute();
  await db.schema.dropTable('delivery_leases').ifExists().execute();
  await db.schema.dropTable('follow_ups').ifExists().execute();
}
