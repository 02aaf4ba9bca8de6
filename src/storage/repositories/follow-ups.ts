import { type Kysely, type QueryCreator, sql } from 'kysely';
import { QueryTemplate } from '../query-template.js';
import type { Database, FollowUp, FollowUpKind, FollowUpStatus } from '../schema.js';
import { type LockedConversation, lockedConversations } from './conversations.js';

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

/** A conversation's follow-ups of `kinds` started afresh at `at`: the scheduled ones cancelled, `fresh` written. */
export interface FollowUpRestart {
  kinds: readonly FollowUpKind[];
  at: Date;
  fresh: readonly NewFollowUp[];
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
      cancellingFollowUps(qb as unknown as Kysely<Database>, { conversationId }, kinds, at).returning('id'),
    )
    .insertInto('follow_ups')
    .values(followUps.map(followUpRow))
    .onConflict((conflict) => conflict.doNothing())
    .returningAll()
    .execute();
}

/** The UPDATE that cancels still-scheduled follow-ups of these kinds on a conversation or a request. */
export function cancellingFollowUps(
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
  await cancellingFollowUps(db, target, kinds, at).execute();
}

/** The end of running one follow-up: its status, what it did, and when. */
export interface FollowUpFinish {
  id: string;
  status: Exclude<FollowUpStatus, 'scheduled'>;
  outcome: string;
  at: Date;
}

/**
 * Follow-up writes that travel inside the statement ending a turn (saveTurn) as a data-modifying
 * CTE, instead of a round trip: a follow-up run marking its row done together with the messages
 * it sent. (An intake answer writes no follow-up at all: its reminder and expiry work out their
 * time from the conversation when they wake, see FollowUpPolicy.intakeDueAt.)
 */
export interface FollowUpWrites {
  finish?: FollowUpFinish | undefined;
}

/** The UPDATE finishing one follow-up. */
function finishing(db: QueryCreator<Database>, { id, status, outcome, at }: FollowUpFinish) {
  return db.updateTable('follow_ups').set({ status, outcome, finished_at: at }).where('id', '=', id);
}

/**
 * Prefixes the statement built on the returned query creator with `writes`, as a data-modifying
 * CTE (`with finished_follow_up as (update …) <statement>`). PostgreSQL runs a data-modifying
 * CTE to completion whether or not the statement reads it, in the statement's one snapshot, so
 * it must not touch the rows the statement changes.
 * With no writes, `db` itself is returned: the statement is unchanged.
 */
export function withFollowUpWrites(
  db: QueryCreator<Database>,
  writes: FollowUpWrites = {},
): QueryCreator<Database> {
  const finish = writes.finish;
  if (!finish) return db;
  return db.with('finished_follow_up', (qb) =>
    finishing(qb as QueryCreator<Database>, finish).returning('id'),
  ) as unknown as QueryCreator<Database>;
}

/** Which columns a follow-up row has (the compiler checks the list is complete). */
const FOLLOW_UP_COLUMNS = Object.keys({
  id: true,
  kind: true,
  contact_id: true,
  conversation_id: true,
  request_id: true,
  basis: true,
  due_at: true,
  status: true,
  outcome: true,
  created_at: true,
  finished_at: true,
} satisfies Record<keyof FollowUp, true>) as (keyof FollowUp)[];

const lockingFollowUpForRun = new QueryTemplate((db, values: { id: string; dueBy: Date; kinds: string }) =>
  db
    .with('fu', (qb) => qb.selectFrom('follow_ups').selectAll().where('id', '=', values.id).forUpdate())
    .selectFrom('fu')
    .leftJoinLateral(
      () =>
        lockedConversations(db)
          .where('conversations.id', '=', sql.ref<string>('fu.conversation_id'))
          .where(
            sql<boolean>`fu.status = 'scheduled' and fu.due_at <= ${values.dueBy}
                and fu.kind = any(string_to_array(${values.kinds}, ','))`,
          )
          .as('conv'),
      (join) => join.onTrue(),
    )
    .selectAll('conv')
    .select(FOLLOW_UP_COLUMNS.map((column) => sql.ref(`fu.${column}`).as(`follow_up_${column}`))),
);

/** A follow-up locked for running, with its own conversation when that was locked too. */
export interface LockedFollowUp {
  followUp: FollowUp;
  conversation: LockedConversation | undefined;
}

/**
 * Locks a follow-up for running it (two workers never run the same one) and, in the SAME
 * statement, its own conversation (joined with its identity's phone, as lockConversationById)
 * when the follow-up is still scheduled, due by `dueBy`, and of one of `conversationKinds`.
 * Locks are taken follow-up first, then conversation — the order of the two statements this
 * replaces: the conversation's id comes from the locked follow-up row (a CTE, then a LATERAL
 * subquery with its own FOR UPDATE; PostgreSQL refuses FOR UPDATE on the nullable side of an
 * outer join, not a locking subquery there). A follow-up that waited for its lock is seen as
 * committed after the wait, and so is the conversation (FOR UPDATE reads its latest version).
 * Undefined when the follow-up does not exist.
 *
 * Built and compiled once (QueryTemplate): it starts every follow-up run, and Kysely's building
 * was the largest share of a run's own JavaScript time. The kinds travel as one comma-separated
 * parameter.
 */
export async function lockFollowUpForRun(
  db: Kysely<Database>,
  id: string,
  dueBy: Date,
  conversationKinds: readonly FollowUpKind[],
): Promise<LockedFollowUp | undefined> {
  const row = (await lockingFollowUpForRun.executeTakeFirst(db, {
    id,
    dueBy,
    kinds: conversationKinds.join(','),
  })) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  const followUp: Record<string, unknown> = {};
  for (const column of FOLLOW_UP_COLUMNS) {
    followUp[column] = row[`follow_up_${column}`];
    delete row[`follow_up_${column}`];
  }
  return {
    followUp: followUp as unknown as FollowUp,
    conversation: row.id === null ? undefined : (row as unknown as LockedConversation),
  };
}

export async function finishFollowUp(
  db: Kysely<Database>,
  id: string,
  status: Exclude<FollowUpStatus, 'scheduled'>,
  outcome: string,
  at: Date,
): Promise<void> {
  await finishing(db, { id, status, outcome, at }).execute();
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

/** A follow_ups row as json_agg gives it (in a statement's RETURNING read back): timestamps come back as text. */
export function followUpFromJson(row: Record<string, unknown>): FollowUp {
  const at = (value: unknown) => (typeof value === 'string' ? new Date(value) : null);
  return {
    ...(row as unknown as FollowUp),
    due_at: at(row.due_at) as Date,
    created_at: at(row.created_at) as Date,
    finished_at: at(row.finished_at),
  };
}
