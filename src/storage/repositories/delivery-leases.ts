import { type Kysely, sql } from 'kysely';
import type { ChannelName, Database, InputHint } from '../schema.js';

/** A message waiting for delivery, with the identity it goes to. */
export interface PendingMessage {
  id: string;
  conversation_id: string;
  channel: ChannelName;
  text: string;
  choices: string[];
  flow_id: string | null;
  node_id: string | null;
  input_hint: InputHint | null;
  created_at: Date;
  identity_id: string;
  external_id: string;
  unreachable_at: Date | null;
}

/** What taking a conversation's lease found: see acquireDeliveryLeasesIfPending. */
export interface LeaseAttempt {
  pending: boolean;
  taken: boolean;
  recovered: boolean;
  /** With the lease taken: the conversation's pending messages (any channel), in order. */
  messages: PendingMessage[];
}

/** A held lease: whose, on which conversation, and how long each renewal lasts. */
export interface HeldLease {
  conversationId: string;
  holder: string;
  ttlMs: number;
}

type LeaseRow = Partial<PendingMessage> & {
  asked_id: string;
  pending: boolean;
  holder: string | null;
  recovered: boolean | null;
};

/** What a deliverer finds when nothing is waiting for it. */
export const NOTHING_PENDING: LeaseAttempt = { pending: false, taken: false, recovered: false, messages: [] };

/**
 * Takes the delivery lease on each asked conversation for its `holder`, unless someone else
 * holds an unexpired one, and only when the conversation has a message waiting on one of
 * `channels`; with the lease taken, the same statement reads the messages to send, in order.
 * Expiry is the database's
 * clock, shared by every process. One statement, so a delivery with nothing left to do (its
 * messages went out with an earlier batch) costs one read and no commit, and one that has work
 * starts sending after a single round trip. `pending` says whether anything was waiting;
 * `taken` whether the lease is now ours; `recovered` whether it was taken over from a holder
 * that never released it (a process that died mid-delivery), whose last message may have
 * reached the channel without being recorded.
 *
 * The statement commits without waiting for the disk (synchronous_commit off for it alone): a
 * lease is worth a flush of the log only as evidence, after a crash of the database itself, that
 * a message may have gone out unrecorded, and the record of the first message sent under it
 * (which does wait) flushes it anyway. Only a lease taken in the last moment (wal_writer_delay)
 * before such a crash can be lost; that message is then sent again without a look at the
 * channel's history. A crash of the deliverer, the case that matters, loses nothing.
 *
 * The messages are those committed before the statement began. A deliverer that comes later,
 * while the lease is held, raises the lease's `again` flag, and the holder's release reports it.
 *
 * Several conversations go in one statement (and one commit): the dispatcher's passes that start
 * at the same moment ask together (leaseBatcher, in src/outbound/delivery-batchers.ts). Each
 * conversation at most once: a statement cannot upsert one lease row twice.
 */
export async function acquireDeliveryLeasesIfPending(
  db: Kysely<Database>,
  requests: readonly HeldLease[],
  channels: readonly ChannelName[],
): Promise<Map<string, LeaseAttempt>> {
  const attempts = new Map<string, LeaseAttempt>();
  if (requests.length === 0) return attempts;
  if (channels.length === 0) {
    for (const request of requests) attempts.set(request.conversationId, NOTHING_PENDING);
    return attempts;
  }
  const result = await leaseAcquisition(requests, channels).execute(db);
  const holderOf = new Map(requests.map((request) => [request.conversationId, request.holder]));
  for (const row of result.rows) {
    const { asked_id: conversationId, pending, holder, recovered, ...message } = row;
    let attempt = attempts.get(conversationId);
    if (!attempt) {
      const taken = holder !== null && holder === holderOf.get(conversationId);
      attempt = { pending: pending === true, taken, recovered: taken && recovered === true, messages: [] };
      attempts.set(conversationId, attempt);
    }
    if (attempt.taken && typeof message.id === 'string') attempt.messages.push(message as PendingMessage);
  }
  return attempts;
}

/**
 * The statement of acquireDeliveryLeasesIfPending (`channels` not empty): one row per message
 * of a conversation whose lease was taken, one row for each other conversation. Exported for the
 * test that reads its plan.
 */
export function leaseAcquisition(requests: readonly HeldLease[], channels: readonly ChannelName[]) {
  const expired = sql`delivery_leases.expires_at < now()`;
  // A clean release deletes the row, so a row still there (expired) is a holder that died; xmax
  // is non-zero for rows the upsert updated rather than inserted. A lease still held is not
  // taken, but gets its `again` flag raised: the holder's release then tells it to take one more
  // pass, which delivers this caller's messages (see settleUnderLeases). The upsert locks the
  // row, so the flag is raised either before the holder's release (which then sees it) or after
  // it (when there is no lease left to flag, and this caller takes a fresh one).
  // Each conversation's messages are read in a lateral subquery (its LIMIT or ORDER BY keeps it
  // from being merged into a join): an index look-up per conversation, whatever the planner
  // thinks of the tables. A plain join or EXISTS over the batch was planned, with a fresh
  // table's statistics, as one read of every pending message of every conversation.
  return sql<LeaseRow>`
    with asked (conversation_id, holder, ttl_secs) as (
      select * from unnest(
        ${requests.map((request) => request.conversationId)}::uuid[],
        ${requests.map((request) => request.holder)}::text[],
        ${requests.map((request) => request.ttlMs / 1000)}::float8[]
      )
    ),
    waiting as (
      select asked.*, coalesce(found.pending, false) as pending,
        set_config('synchronous_commit', 'off', true) as commit_without_flush
      from asked
      left join lateral (
        select true as pending from messages
        where conversation_id = asked.conversation_id and direction = 'out' and delivery_status = 'pending'
          and channel in (${sql.join(channels)})
        limit 1
      ) found on true
    ),
    taken as (
      insert into delivery_leases (conversation_id, holder, expires_at)
      select conversation_id, holder, now() + make_interval(secs => ttl_secs) from waiting where pending
      on conflict (conversation_id) do update set
        holder = case when ${expired} then excluded.holder else delivery_leases.holder end,
        expires_at = case when ${expired} then excluded.expires_at else delivery_leases.expires_at end,
        again = not ${expired}
      returning conversation_id, holder, (xmax <> 0) as recovered
    )
    select waiting.conversation_id as asked_id, waiting.pending, taken.holder, taken.recovered,
      m.id, m.conversation_id, m.channel, m.text, m.choices, m.flow_id, m.node_id, m.input_hint,
      m.created_at, ci.id as identity_id, ci.external_id, ci.unreachable_at
    from waiting
    left join taken on taken.conversation_id = waiting.conversation_id
    left join lateral (
      select * from messages
      where messages.conversation_id = waiting.conversation_id
        and messages.direction = 'out' and messages.delivery_status = 'pending'
      order by messages.created_at, messages.position
    ) m on taken.holder = waiting.holder
    left join conversations c on c.id = m.conversation_id
    left join channel_identities ci on ci.id = c.identity_id
    order by waiting.conversation_id, m.created_at, m.position`;
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

/** What became of a message: accepted by the channel, or given up on with a reason. */
export type MessageSettlement = { status: 'sent' } | { status: 'failed'; reason: string };

/** One message settled under its conversation's lease, which is then renewed or released. */
export interface Settlement {
  lease: HeldLease;
  messageId: string;
  settlement: MessageSettlement;
  then: 'renew' | 'release';
}

/** What settleUnderLeases found: see there. */
export interface LeaseSettlements {
  /** Conversations whose lease was renewed and is still held by the settling deliverer. */
  renewed: Set<string>;
  /** Conversations whose lease was released with its `again` flag up: take one more pass. */
  again: Set<string>;
}

/**
 * Records what became of several messages (of any conversations) and, in the same statement,
 * renews each one's lease for its next message or gives it up after its last: one statement and
 * one commit for all of them. A message is recorded whoever holds its lease (it was sent, or
 * given up on, either way).
 *
 * A release reports whether another deliverer raised the lease's `again` flag meanwhile (it
 * found the lease held, with messages of its own waiting). The delete sees the flag however late
 * it was raised: a row updated after this statement's snapshot is read again at its newest
 * version before it is deleted (and a deliverer that comes after the delete takes a fresh lease).
 */
export async function settleUnderLeases(
  db: Kysely<Database>,
  settlements: readonly Settlement[],
): Promise<LeaseSettlements> {
  if (settlements.length === 0) return { renewed: new Set(), again: new Set() };
  // Arrays rather than a VALUES list: one SQL text whatever the batch's size, so one prepared
  // statement and its cached plan serve every batch (see statement-cache.ts).
  const result = await sql<{ conversation_id: string; outcome: 'renewed' | 'again' }>`
    with batch (message_id, conversation_id, holder, status, error, release, ttl_secs) as (
      select * from unnest(
        ${settlements.map(({ messageId }) => messageId)}::uuid[],
        ${settlements.map(({ lease }) => lease.conversationId)}::uuid[],
        ${settlements.map(({ lease }) => lease.holder)}::text[],
        ${settlements.map(({ settlement }) => settlement.status)}::text[],
        ${settlements.map(({ settlement }) => (settlement.status === 'failed' ? settlement.reason : null))}::text[],
        ${settlements.map(({ then }) => then === 'release')}::boolean[],
        ${settlements.map(({ lease }) => lease.ttlMs / 1000)}::float8[]
      )
    ),
    settled as (
      update messages m
      set delivery_status = b.status,
          sent_at = case when b.status = 'sent' then now() else m.sent_at end,
          delivery_error = b.error
      from batch b
      where m.id = b.message_id
      returning m.id
    ),
    released as (
      delete from delivery_leases l
      using batch b
      where b.release and l.conversation_id = b.conversation_id and l.holder = b.holder
      returning l.conversation_id, l.again
    ),
    renewed as (
      update delivery_leases l
      set expires_at = now() + make_interval(secs => b.ttl_secs)
      from batch b
      where not b.release and l.conversation_id = b.conversation_id and l.holder = b.holder
      returning l.conversation_id
    )
    select conversation_id, 'renewed' as outcome from renewed
    union all
    select conversation_id, 'again' as outcome from released where again`.execute(db);
  const outcome = { renewed: new Set<string>(), again: new Set<string>() };
  for (const row of result.rows) outcome[row.outcome].add(row.conversation_id);
  return outcome;
}
