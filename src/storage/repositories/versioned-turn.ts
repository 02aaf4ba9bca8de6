import { CompiledQuery, type Kysely, sql } from 'kysely';
import type { ChannelName, Database, FollowUp } from '../schema.js';
import type { ConversationTurn } from './conversations.js';
import { type FollowUpRestart, followUpFromJson } from './follow-ups.js';
import type { OutboundRecord } from './messages.js';
import { newRequestColumns, newRequestFollowUpsJson, type PlannedRequest } from './requests.js';
import type { StoredReply } from './turns.js';

/**
 * The version a conversation row is at: its `xmin`, the transaction that wrote the row as it is
 * now. Every UPDATE of the row, by any code in any process, gives it a new one, so no writer
 * has to remember to bump a counter (the same optimistic token Npgsql and EF Core use).
 */
export const conversationVersion = sql<string>`conversations.xmin::text`;

export interface VersionedTurn {
  conversationId: string;
  /** The version the turn was computed from (see conversationVersion). */
  version: string;
  /** The phone the identity had then: a link made since sends the turn down the locking path. */
  identityPhone: string | null;
  inbound: { channel: ChannelName; externalId: string; text: string; mediaKind: string | null };
  /** The turn, its state already JSON text (the caller keeps that text too). */
  turn: Omit<ConversationTurn, 'state'> & { stateJson: string };
  /** The bot's replies; their reply_to_id is the inbound message stored by the same statement. */
  replies: OutboundRecord[];
  /** The intake's follow-ups started afresh (it starts or ends). */
  restart?: FollowUpRestart | undefined;
  /** The support request the turn confirmed, created with it (or, its reference taken, neither). */
  request?: PlannedRequest | undefined;
}

export type VersionedTurnResult =
  | {
      applied: true;
      inboundId: string;
      version: string;
      replies: StoredReply[];
      /** The follow-ups the restart and the new request scheduled, for the queue once committed. */
      scheduled: FollowUp[];
    }
  | { applied: false };

/**
 * Whole inbound turns of different conversations in ONE statement, run on its own (its own
 * transaction, one round trip, one commit), each turn applied only if its conversation is still
 * at the version the turn was computed from. Each conversation row is locked FOR UPDATE (SKIP
 * LOCKED: one held by a transaction elsewhere is not waited for, its turn just does not apply)
 * and re-checked; then, for each turn whose row passed, the inbound message is stored, the state
 * saved (with the time of the beneficiary's last message, which the intake's reminder and expiry
 * count from: see FollowUpPolicy.intakeDueAt), the intake's follow-ups started afresh, the request it confirmed created (with its first
 * history entry and follow-ups) and the replies stored, each step conditional on the one before.
 * A turn whose conversation moved on (another process or staff changed it), was closed, whose
 * message is a redelivery, or whose request's reference is taken writes nothing at all, and the
 * caller runs it the long way, inside a transaction that locks first. Results come back in the order of `turns`.
 *
 * Every turn travels in one JSON parameter, so the statement's text is the same whatever their
 * number and shape (one prepared statement, see statement-cache.ts), and each reply's
 * reply_to_id can name the inbound row the statement itself inserts. Rows are locked in id order,
 * so two such statements never wait on each other in a cycle. The rows to lock are named by an
 * array of ids (`c.id = any(…)`), not only by the join with `t`: PostgreSQL guesses 100 rows for
 * any set-returning function, and against that guess the prepared statement's plan read the
 * whole `conversations` table for every statement (a cost that grows with every beneficiary
 * served); with the array it looks each row up in the primary key. The identity's phone and a
 * confirmation's reference are scalar sub-selects, each a look-up in its own index, for the
 * same reason: joined, the identities were read whole once per turn (the guess for `t` fell to
 * one row and a nested loop over all of them looked cheap), and as `not exists` inside the `or`
 * PostgreSQL hashed every reference on file whenever a statement carried a confirmation.
 *
 * The turns must be of different conversations: two turns of one conversation cannot both
 * follow from one version, and one statement cannot update a row twice.
 */
export async function saveTurnsAtVersion(
  db: Kysely<Database>,
  turns: readonly VersionedTurn[],
): Promise<VersionedTurnResult[]> {
  if (turns.length === 0) return [];
  if (new Set(turns.map((turn) => turn.conversationId)).size !== turns.length)
    throw new Error('saveTurnsAtVersion: two turns of one conversation in one statement');
  if (turns.some((turn) => turn.request && turn.request.request.conversationId !== turn.conversationId))
    throw new Error("saveTurnsAtVersion: a turn's request belongs to its own conversation");
  const sentAt = new Date();
  const { rows } = await db.executeQuery<StatementRow>(versionedTurnsQuery(turns, sentAt));
  const byTurn = new Map(rows.map((row) => [row.n, row]));
  return turns.map((turn, n) => resultOf(turn, byTurn.get(n)));
}

/** saveTurnsAtVersion's statement for `turns` (exported for the test that reads its plan). */
export function versionedTurnsQuery(
  turns: readonly VersionedTurn[],
  sentAt: Date,
): CompiledQuery<StatementRow> {
  const payload = `[${turns.map((turn, n) => turnJson(turn, n, sentAt)).join(',')}]`;
  return CompiledQuery.raw(STATEMENT, [payload]);
}

/** One turn as saveTurnsAtVersion's statement reads it (jsonb_to_recordset in `t`). */
function turnJson(input: VersionedTurn, n: number, sentAt: Date): string {
  const { turn, restart, request } = input;
  const fields = {
    n,
    conversation_id: input.conversationId,
    version: input.version,
    identity_phone: input.identityPhone,
    channel: input.inbound.channel,
    external_id: input.inbound.externalId,
    text: input.inbound.text,
    media_kind: input.inbound.mediaKind,
    mode: turn.mode,
    flow_id: turn.flowId,
    node_id: turn.nodeId,
    locale: turn.locale,
    at: turn.at,
    sent_at: sentAt,
    replies: input.replies.map((reply) => ({
      text: reply.text,
      choices: reply.choices,
      flow_id: reply.flowId,
      node_id: reply.nodeId,
      sender: reply.sender,
      position: reply.position,
      input_hint: reply.inputHint ?? null,
      delivery_status: reply.deliveryStatus,
    })),
    restart_kinds: restart ? restart.kinds : null,
    restart_at: restart ? restart.at : null,
    fresh: restart
      ? restart.fresh.map((followUp) => ({
          kind: followUp.kind,
          contact_id: followUp.contactId,
          conversation_id: followUp.conversationId ?? null,
          request_id: followUp.requestId ?? null,
          basis: followUp.basis ?? {},
          due_at: followUp.dueAt,
        }))
      : null,
    request: request ? plannedRequestJson(request) : null,
  };
  // The state is JSON text already: spliced in rather than parsed and serialised again.
  return `${JSON.stringify(fields).slice(0, -1)},"state":${turn.stateJson}}`;
}

/** A planned request as the statement reads it (jsonb_to_record in `request`). */
function plannedRequestJson({ reference, request, followUps }: PlannedRequest) {
  return { reference, ...newRequestColumns(request), follow_ups: newRequestFollowUpsJson(followUps) };
}

function resultOf(input: VersionedTurn, row: StatementRow | undefined): VersionedTurnResult {
  if (!row?.inbound_id || !row.version) return { applied: false };
  const inboundId = row.inbound_id;
  const idOf = new Map((row.stored ?? []).map((reply) => [reply.position, reply.id]));
  return {
    applied: true,
    inboundId,
    version: row.version,
    replies: input.replies.map((reply) => ({
      ...reply,
      replyToId: inboundId,
      id: idOf.get(reply.position) as string,
    })),
    scheduled: (row.scheduled ?? []).map(followUpFromJson),
  };
}

export interface StatementRow {
  /** The turn's index in the call. */
  n: number;
  inbound_id: string | null;
  version: string | null;
  stored: Array<{ id: string; position: number }> | null;
  /** The new follow_ups rows of the restart and the request (json_agg). */
  scheduled: Array<Record<string, unknown>> | null;
}

/**
 * Whether a one-statement turn (inbound or follow-up) still applies to its conversation row `c`,
 * from its row `t`: the row is still at the version the turn was computed from, open, and its
 * identity's phone unchanged. Written so that every row is looked up in an index (see
 * saveTurnsAtVersion): `c` by the array of the batch's ids, the identity by a scalar sub-select.
 */
export const CONVERSATION_AT_VERSION = `c.id = any(array(select t.conversation_id from t))
    and c.xmin::text = t.version
    and c.mode <> 'closed'
    and (select ci.phone_e164 from channel_identities ci where ci.id = c.identity_id)
      is not distinct from t.identity_phone`;

/**
 * A turn's UPDATE of its conversation in the one-statement turns (inbound and follow-up), from
 * their row `t`: turnColumns' columns (conversations.ts); keep them in step. An inbound turn
 * also sets last_inbound_at, as turnColumns does for a turn marked `inbound`.
 */
export const SET_TURN_FROM_T = `set mode = t.mode, flow_id = t.flow_id, node_id = t.node_id, state = t.state,
    locale = t.locale, updated_at = t.at, last_message_at = t.at`;

/**
 * Raw SQL rather than Kysely's builder: it has no builder for a table function with a column
 * list, which every step here reads from, and the text never changes. The columns written to
 * `conversations` are turnColumns' (conversations.ts), the follow-up writes those of
 * restartFollowUps (follow-ups.ts), the inbound row insertInbound's
 * (messages.ts), the request createSupportRequestWithFollowUps' (requests.ts); keep them in step.
 *
 * A restart's new follow-ups are a conversation's own (the intake's): they are returned with
 * the turn of the conversation they name.
 */
const STATEMENT = `
with t as (
  select * from jsonb_to_recordset($1::jsonb) as t(
    n integer, conversation_id uuid, version text, identity_phone text,
    channel text, external_id text, text text, media_kind text,
    mode text, flow_id text, node_id text, state jsonb, locale text, at timestamptz, sent_at timestamptz,
    replies jsonb, restart_kinds text[], restart_at timestamptz, fresh jsonb, request jsonb)
),
conv as (
  select c.id from conversations c
  join t on t.conversation_id = c.id
  where ${CONVERSATION_AT_VERSION}
    and (t.request is null
      or (select r.id from support_requests r where r.reference = t.request->>'reference') is null)
  order by c.id
  for update of c skip locked
),
ins as (
  insert into messages (conversation_id, direction, sender, channel, external_id, text, choices, media_kind)
  select t.conversation_id, 'in', 'contact', t.channel, t.external_id, t.text, '[]'::jsonb, t.media_kind
  from t join conv on conv.id = t.conversation_id
  order by t.n
  on conflict (channel, external_id) where direction = 'in' do nothing
  returning id, conversation_id
),
saved as (
  update conversations c
  ${SET_TURN_FROM_T}, last_inbound_at = t.at
  from t join ins on ins.conversation_id = t.conversation_id
  where c.id = t.conversation_id
  returning c.id, c.xmin::text as version
),
cancelled as (
  update follow_ups f set status = 'cancelled', finished_at = t.restart_at, outcome = 'no longer relevant'
  from saved join t on t.conversation_id = saved.id
  where f.conversation_id = saved.id and f.kind = any(t.restart_kinds) and f.status = 'scheduled'
  returning f.id
),
created as (
  insert into follow_ups (kind, contact_id, conversation_id, request_id, basis, due_at, status)
  select f.kind, f.contact_id, f.conversation_id, f.request_id, f.basis, f.due_at, 'scheduled'
  from saved join t on t.conversation_id = saved.id
  cross join lateral jsonb_to_recordset(t.fresh) as f(
    kind text, contact_id uuid, conversation_id uuid, request_id uuid, basis jsonb, due_at timestamptz)
  on conflict do nothing
  returning *
),
request as (
  insert into support_requests (reference, contact_id, conversation_id, full_name, national_id,
    mobile_e164, city, support_type, family_size, monthly_income, description, status)
  select r.reference, r.contact_id, r.conversation_id, r.full_name, r.national_id,
    r.mobile_e164, r.city, r.support_type, r.family_size, r.monthly_income, r.description, 'submitted'
  from saved join t on t.conversation_id = saved.id
  cross join lateral jsonb_to_record(t.request) as r(
    reference text, contact_id uuid, conversation_id uuid, full_name text, national_id text,
    mobile_e164 text, city text, support_type text, family_size integer, monthly_income numeric,
    description text)
  where t.request is not null
  returning id, contact_id, conversation_id
),
request_history as (
  insert into request_status_history (request_id, status, changed_by, note)
  select request.id, 'submitted', 'beneficiary', null from request
),
request_follow_ups as (
  insert into follow_ups (kind, contact_id, request_id, basis, due_at, status)
  select f.kind, request.contact_id, request.id, f.basis, f.due_at, 'scheduled'
  from request join t on t.conversation_id = request.conversation_id
  cross join lateral jsonb_to_recordset(t.request->'follow_ups') as f(kind text, basis jsonb, due_at timestamptz)
  on conflict do nothing
  returning *
),
replies as (
  insert into messages (conversation_id, direction, sender, channel, text, choices, flow_id, node_id,
    reply_to_id, position, input_hint, delivery_status, sent_at)
  select t.conversation_id, 'out', r.sender, t.channel, r.text, r.choices, r.flow_id, r.node_id,
    ins.id, r.position, r.input_hint, r.delivery_status,
    case when r.delivery_status = 'sent' then t.sent_at end
  from saved
  join t on t.conversation_id = saved.id
  join ins on ins.conversation_id = saved.id
  cross join lateral jsonb_to_recordset(t.replies) as r(
    text text, choices jsonb, flow_id text, node_id text, sender text, position integer,
    input_hint text, delivery_status text)
  order by t.n, r.position
  returning id, conversation_id, position
)
select t.n, ins.id as inbound_id, saved.version,
  (select json_agg(json_build_object('id', replies.id, 'position', replies.position))
    from replies where replies.conversation_id = t.conversation_id) as stored,
  (select json_agg(f) from (
      select * from created where created.conversation_id = t.conversation_id
      union all
      select request_follow_ups.* from request_follow_ups
      join request on request.id = request_follow_ups.request_id
      where request.conversation_id = t.conversation_id) f) as scheduled
from t
left join ins on ins.conversation_id = t.conversation_id
left join saved on saved.id = t.conversation_id
order by t.n`;
