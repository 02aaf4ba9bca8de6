import type { Kysely } from 'kysely';

/**
 * When the beneficiary last wrote in a conversation, by the turn's clock (the simulator's too).
 * The intake's reminder and expiry count from the last answer: before, every answer moved both
 * follow-up rows on (two updates, each a new row version and index entries, in the commonest
 * turn); now the answer only stamps its conversation, which it updates anyway, and the follow-up
 * works out its real time when it wakes (FollowUpPolicy.intakeDueAt). Null on rows from before:
 * their follow-ups' times were moved by the old way and are right as they stand.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('conversations').addColumn('last_inbound_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('conversations').dropColumn('last_inbound_at').execute();
}
