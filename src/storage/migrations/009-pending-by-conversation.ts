import { type Kysely, sql } from 'kysely';

/**
 * Messages waiting for delivery, found by conversation. Every delivery pass asks «does this
 * conversation have anything waiting, and what?»; the old index (pending messages by time) let
 * that read every pending message of every conversation and keep one conversation's, so a pass
 * cost grew with the whole backlog — 2–10 ms each in bench:jobs, and far more after a channel
 * outage, just when a backlog must drain. Keyed by conversation, in sending order, a pass reads
 * only its own rows. The sweep, the gauges and the simulator (all pending messages, any order)
 * read the same index whole, as they read the old one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('messages_pending_by_conversation')
    .on('messages')
    .columns(['conversation_id', 'created_at', 'position'])
    .where(sql<boolean>`direction = 'out' and delivery_status = 'pending'`)
    .execute();
  await db.schema.dropIndex('messages_pending_delivery').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('messages_pending_delivery')
    .on('messages')
    .column('created_at')
    .where(sql.ref('delivery_status'), '=', 'pending')
    .execute();
  await db.schema.dropIndex('messages_pending_by_conversation').execute();
}
