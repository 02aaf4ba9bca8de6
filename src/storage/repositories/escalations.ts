import type { Kysely } from 'kysely';
import type { Database, Escalation } from '../schema.js';

/** Opens an escalation for the conversation, or returns the one already open. */
export async function openEscalation(
  db: Kysely<Database>,
  values: { conversationId: string; contactId: string; fromFlow: string | null; fromNode: string | null },
): Promise<Escalation> {
  const existing = await db
    .selectFrom('escalations')
    .selectAll()
    .where('conversation_id', '=', values.conversationId)
    .where('status', '=', 'open')
    .executeTakeFirst();
  if (existing) return existing;
  return db
    .insertInto('escalations')
    .values({
      conversation_id: values.conversationId,
      contact_id: values.contactId,
      status: 'open',
      from_flow: values.fromFlow,
      from_node: values.fromNode,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function closeOpenEscalation(
  db: Kysely<Database>,
  conversationId: string,
  status: 'cancelled' | 'resolved',
  at: Date,
): Promise<void> {
  await db
    .updateTable('escalations')
    .set({ status, closed_at: at })
    .where('conversation_id', '=', conversationId)
    .where('status', '=', 'open')
    .execute();
}

/** Marks the conversation's open escalation as past its service level (once; staff's inbox flags it). */
export async function markSlaBreached(db: Kysely<Database>, conversationId: string, at: Date): Promise<void> {
  await db
    .updateTable('escalations')
    .set({ sla_breached_at: at })
    .where('conversation_id', '=', conversationId)
    .where('status', '=', 'open')
    .where('sla_breached_at', 'is', null)
    .execute();
}
