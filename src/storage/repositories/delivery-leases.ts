import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

/**
 * Takes the delivery lease on a conversation for `holder`, unless someone else holds an unexpired
 * one. Returns whether it was taken. Expiry is the database's clock, shared by every process.
 */
export async function acquireDeliveryLease(
  db: Kysely<Database>,
  conversationId: string,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  const expires = sql<Date>`now() + make_interval(secs => ${ttlMs / 1000})`;
  const row = await db
    .insertInto('delivery_leases')
    .values({ conversation_id: conversationId, holder, expires_at: expires })
    .onConflict((conflict) =>
      conflict
        .column('conversation_id')
        .doUpdateSet({ holder, expires_at: expires })
        .where(sql.ref('delivery_leases.expires_at'), '<', sql<Date>`now()`),
    )
    .returning('holder')
    .executeTakeFirst();
  return row?.holder === holder;
}

/** Extends a held lease; false when it was lost (expired and taken by another deliverer). */
export async function renewDeliveryLease(
  db: Kysely<Database>,
  conversationId: string,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  const result = await db
    .updateTable('delivery_leases')
    .set({ expires_at: sql<Date>`now() + make_interval(secs => ${ttlMs / 1000})` })
    .where('conversation_id', '=', conversationId)
    .where('holder', '=', holder)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function releaseDeliveryLease(
  db: Kysely<Database>,
  conversationId: string,
  holder: string,
): Promise<void> {
  await db
    .deleteFrom('delivery_leases')
    .where('conversation_id', '=', conversationId)
    .where('holder', '=', holder)
    .execute();
}
