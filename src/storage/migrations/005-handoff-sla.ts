import { type Kysely, sql } from 'kysely';

/**
 * Follow-ups that staff and beneficiaries can rely on:
 * - `escalations.sla_breached_at`: when a conversation waiting for staff passed HANDOFF_SLA (set
 *   by the follow-up that tells the beneficiary when to expect an answer), so the staff inbox can
 *   flag it — a durable alert, not a log line.
 * - At most one «still under review» notice scheduled per request: a request re-entering the
 *   research committee's review gets a new one only once the previous period's has ended.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('escalations').addColumn('sla_breached_at', 'timestamptz').execute();
  await db.schema
    .createIndex('follow_ups_one_review_notice_scheduled')
    .on('follow_ups')
    .column('request_id')
    .unique()
    .where(sql<boolean>`kind = 'review_notice' and status = 'scheduled'`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('follow_ups_one_review_notice_scheduled').ifExists().execute();
  await db.schema.alterTable('escalations').dropColumn('sla_breached_at').execute();
}
