import { type Kysely, sql } from 'kysely';
import type { Database, FollowUp, FollowUpKind, FollowUpStatus } from '../schema.js';

export interface NewFollowUp {
  kind: FollowUpKind;
  contactId: string;
  conversationId?: string | null;
  requestId?: string | null;
  basis?: Record<string, unknown>;
  dueAt: Date;
}

const followUpRow = (followUp: NewFollowUp) => ({
  kind: followUp.kind,
  contact_id: followUp.contactId,
  conversation_id: followUp.conversationId ?? null,
  request_id: followUp.requestId ?? null,
  basis: JSON.stringify(followUp.basis ?? {}),
  due_at: followUp.dueAt,
  status: 'scheduled' as const,
});

/**
 * Writes a follow-up in the caller's transaction. Returns undefined when one of its kind may only
 * exist once and already does (one satisfaction survey per service).
 */
export async function scheduleFollowUp(
  db: Kysely<Database>,
  followUp: NewFollowUp,
): Promise<FollowUp | undefined> {
  return db
    .insertInto('follow_ups')
    .values(followUpRow(followUp))
    .onConflict((conflict) => conflict.doNothing())
    .returningAll()
    .executeTakeFirst();
}

/**
 * Starts a conversation's follow-ups of these kinds afresh, in ONE statement: the still-scheduled
 * ones are cancelled (a data-modifying CTE) and the new ones written (the intake's reminder and
 * expiry when it starts). Returns the new rows.
 */
export async function restartFollowUps(
  db: Kysely<Database>,
  conversationId: string,
  kinds: readonly FollowUpKind[],
  at: Date,
  followUps: readonly NewFollowUp[],
): Promise<FollowUp[]> {
  if (followUps.length === 0) {
    await cancelFollowUps(db, { conversationId }, kinds, at);
    return [];
  }
  return db
    .with('cancelled', (qb) =>
      cancelling(qb as unknown as Kysely<Database>, { conversationId }, kinds, at).returning('id'),
    )
    .insertInto('follow_ups')
    .values(followUps.map(followUpRow))
    .onConflict((conflict) => conflict.doNothing())
    .returningAll()
    .execute();
}

/** The UPDATE that cancels still-scheduled follow-ups of these kinds on a conversation or a request. */
function cancelling(
  db: Kysely<Database>,
  target: { conversationId: string } | { requestId: string },
  kinds: readonly FollowUpKind[],
  at: Date,
) {
  return db
    .updateTable('follow_ups')
    .set({ status: 'cancelled', finished_at: at, outcome: 'no longer relevant' })
    .where((eb) =>
      'conversationId' in target
        ? eb('conversation_id', '=', target.conversationId)
        : eb('request_id', '=', target.requestId),
    )
    .where('kind', 'in', kinds)
    .where('status', '=', 'scheduled');
}

/** Cancels the still-scheduled follow-ups of these kinds on a conversation or a request. */
export async function cancelFollowUps(
  db: Kysely<Database>,
  target: { conversationId: string } | { requestId: string },
  kinds: readonly FollowUpKind[],
  at: Date,
): Promise<void> {
  await cancelling(db, target, kinds, at).execute();
}

/**
 * Moves a conversation's still-scheduled follow-ups of the given kinds to new times, in one
 * statement. Their queued jobs stay as they are: a job that wakes before its row's time puts
 * the row back in the queue for then (see the runner), so moving costs no queue traffic.
 */
export async function moveFollowUps(
  db: Kysely<Database>,
  conversationId: string,
  dueAt: Partial<Record<FollowUpKind, Date>>,
): Promise<void> {
  const kinds = Object.keys(dueAt) as FollowUpKind[];
  if (kinds.length === 0) return;
  const cases = sql.join(
    kinds.map((kind) => sql`when ${kind} then ${dueAt[kind]}::timestamptz`),
    sql` `,
  );
  await db
    .updateTable('follow_ups')
    .set({ due_at: sql<Date>`case kind ${cases} end` })
    .where('conversation_id', '=', conversationId)
    .where('kind', 'in', kinds)
    .where('status', '=', 'scheduled')
    .execute();
}

/** Locks a follow-up for running it: two workers never run the same one. */
export async function lockFollowUp(db: Kysely<Database>, id: string): Promise<FollowUp | undefined> {
  return db.selectFrom('follow_ups').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function finishFollowUp(
  db: Kysely<Database>,
  id: string,
  status: Exclude<FollowUpStatus, 'scheduled'>,
  outcome: string,
  at: Date,
): Promise<void> {
  await db.updateTable('follow_ups').set({ status, outcome, finished_at: at }).where('id', '=', id).execute();
}

export async function postponeFollowUp(
  db: Kysely<Database>,
  id: string,
  dueAt: Date,
  basis: Record<string, unknown>,
): Promise<FollowUp> {
  return db
    .updateTable('follow_ups')
    .set({ due_at: dueAt, basis: JSON.stringify(basis) })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Scheduled follow-ups due before `before`, soonest first (the start-up resync, the simulator). */
export async function scheduledFollowUps(
  db: Kysely<Database>,
  before: Date,
  limit: number,
  offset = 0,
): Promise<FollowUp[]> {
  return db
    .selectFrom('follow_ups')
    .selectAll()
    .where('status', '=', 'scheduled')
    .where('due_at', '<=', before)
    .orderBy('due_at')
    .orderBy(sql`id`)
    .limit(limit)
    .offset(offset)
    .execute();
}
