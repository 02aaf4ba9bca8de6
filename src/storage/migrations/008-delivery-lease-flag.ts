import type { Kysely } from 'kysely';

/**
 * A deliverer that finds a conversation's lease held by another, with messages of its own
 * waiting, raises `again` on the lease instead of going away empty-handed; the holder's release
 * only succeeds while the flag is down, so it learns in that same statement that it must take
 * one more pass. This replaces a separate look for late messages after every release.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('delivery_leases')
    .addColumn('again', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('delivery_leases').dropColumn('again').execute();
}
