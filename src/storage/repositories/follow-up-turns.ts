import { CompiledQuery, type Kysely } from 'kysely';
import type { ConversationMode } from '../../engine/actions.js';
import type { ChannelName, Database, FollowUp, FollowUpKind } from '../schema.js';
import type { ConversationTurn } from './conversations.js';
import { followUpFromJson } from './follow-ups.js';
import type { OutboundRecord } from './messages.js';
import type { StoredReply } from './turns.js';
import { CONVERSATION_AT_VERSION, SET_TURN_FROM_T } from './versioned-turn.js';

/** The fields of a follow-up's own conversation that running it reads. */
export interface FollowUpConversation {
  id: string;
  contact_id: string;
  channel: ChannelName;
  mode: ConversationMode;
  locale: string;
  state: unknown;
  identity_phone: string | null;
  /** See ConversationsTable.last_inbound_at. */
  last_inbound_at: Date | null;
  /** See conversationVersion (versioned-turn.ts). */
  version: string;
}

/** A follow-up as read, without a lock, with its own conversation when it is of `kinds`. */
export interface FollowUpSnapshot {
  followUp: FollowUp;
  conversation: FollowUpConversation | undefined;
}

/**
 * Several follow-ups, each with its own conversation (and that conversation's version) when it is
 * of one of `conversationKinds`, in ONE statement and without locks: the first step of running
 * them optimistically (see saveFollowUpTurnsAtVersion). Results come back in the order of `ids`;
 * undefined for a follow-up that does not exist.
 *
 * Raw SQL with constant text (one prepared statement whatever the number of ids): the ids and the
 * kinds travel as one comma-separated parameter each.
 */
export async function readFollowUpsForRun(
  db: Kysely<Database>,
  ids: readonly string[],
  conversationKinds: readonly FollowUpKind[],
): Promise<(FollowUpSnapshot | undefined)[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.executeQuery<SnapshotRow>(
    CompiledQuery.raw(READ_STATEMENT, [ids.join(','), conversationKinds.join(',')]),
  );
  const byId = new Map(rows.map((row) => [row.follow_up.id as string, row]));
  return ids.map((id) => {
    const row = byId.get(id);
    if (!row) return undefined;
    return {
      followUp: followUpFromJson(row.follow_up),
      conversation: row.conversation_id
        ? {
            id: row.conversation_id,
            contact_id: row.contact_id as string,
            channel: row.channel as ChannelName,
            mode: row.mode as ConversationMode,
            locale: row.locale as string,
            state: row.state,
            identity_phone: row.identity_phone,
            last_inbound_at: row.last_inbound_at,
            version: row.version as string,
          }
        : undefined,
    };
  });
}

interface SnapshotRow {
  follow_up: Record<string, unknown>;
  conversation_id: string | null;
  contact_id: string | null;
  channel: string | null;
  mode: string | null;
  locale: string | null;
  state: unknown;
  identity_phone: string | null;
  last_inbound_at: Date | null;
  version: string | null;
}

const READ_STATEMENT = `
select to_jsonb(f) as follow_up, c.id as conversation_id, c.contact_id, c.channel, c.mode, c.locale,
  c.state, ci.phone_e164 as identity_phone, c.last_inbound_at, c.xmin::text as version
from follow_ups f
left join conversations c
  on c.id = f.conversation_id and f.kind = any(string_to_array($2, ','))
left join channel_identities ci on ci.id = c.identity_id
where f.id = any(string_to_array($1, ',')::uuid[])`;

/** A follow-up's turn computed from a snapshot, to store only if nothing changed since. */
export interface FollowUpTurn {
  followUpId: string;
  /** The outcome the follow-up's row is finished with (status done). */
  outcome: string;
  conversationId: string;
  /** The conversation's version in the snapshot the turn was computed from. */
  version: string;
  /** The phone the identity had then: a link made since sends the run down the locking path. */
  identityPhone: string | null;
  /** The turn, its state already JSON text. */
  turn: Omit<ConversationTurn, 'state'> & { stateJson: string };
  /** The bot's messages, pending delivery. */
  replies: OutboundRecord[];
}

export type FollowUpTurnResult = { applied: true; replies: StoredReply[] } | { applied: false };

/**
 * Whole follow-up runs of different conversations in ONE statement, run on its own (its own
 * transaction, one round trip, one commit): for each, if its conversation is still at the
 * version the turn was computed from (and open, its identity's phone unchanged) and the follow-up
 * is still scheduled and due, the conversation's new state is saved, the follow-up finished
 * (done, with its outcome) and the messages stored pending; otherwise nothing of it is written
 * and the caller runs it the locking way. The same check as saveTurnsAtVersion's for inbound
 * turns: rows are locked in id order with SKIP LOCKED, so this statement never waits for another
 * transaction and never takes part in a deadlock; a row updated since the snapshot fails the
 * re-check (PostgreSQL re-evaluates the condition on the latest version of a row it locks).
 *
 * An answer since the snapshot updates the conversation (and its last_inbound_at, which the
 * intake's reminder counts from), so such a run never applies here. Results come back in the
 * order of `turns`.
 */
export async function saveFollowUpTurnsAtVersion(
  db: Kysely<Database>,
  turns: readonly FollowUpTurn[],
): Promise<FollowUpTurnResult[]> {
  if (turns.length === 0) return [];
  if (new Set(turns.map((turn) => turn.conversationId)).size !== turns.length)
    throw new Error('saveFollowUpTurnsAtVersion: two turns of one conversation in one statement');
  const { rows } = await db.executeQuery<SaveRow>(followUpTurnsQuery(turns));
  const byTurn = new Map(rows.map((row) => [row.n, row]));
  return turns.map((turn, n) => {
    const row = byTurn.get(n);
    if (!row?.version) return { applied: false };
    const idOf = new Map((row.stored ?? []).map((reply) => [reply.position, reply.id]));
    return {
      applied: true,
      replies: turn.replies.map((reply) => ({ ...reply, id: idOf.get(reply.position) as string })),
    };
  });
}

/** saveFollowUpTurnsAtVersion's statement for `turns` (exported for the test that reads its plan). */
export function followUpTurnsQuery(turns: readonly FollowUpTurn[]): CompiledQuery<SaveRow> {
  return CompiledQuery.raw(SAVE_STATEMENT, [`[${turns.map(turnJson).join(',')}]`]);
}

function turnJson(input: FollowUpTurn, n: number): string {
  const { turn } = input;
  const fields = {
    n,
    follow_up_id: input.followUpId,
    outcome: input.outcome,
    conversation_id: input.conversationId,
    version: input.version,
    identity_phone: input.identityPhone,
    mode: turn.mode,
    flow_id: turn.flowId,
    node_id: turn.nodeId,
    locale: turn.locale,
    at: turn.at,
    replies: input.replies.map((reply) => ({
      channel: reply.channel,
      text: reply.text,
      choices: reply.choices,
      flow_id: reply.flowId,
      node_id: reply.nodeId,
      sender: reply.sender,
      position: reply.position,
      input_hint: reply.inputHint ?? null,
    })),
  };
  // The state is JSON text already: spliced in rather than parsed and serialised again.
  return `${JSON.stringify(fields).slice(0, -1)},"state":${turn.stateJson}}`;
}

export interface SaveRow {
  n: number;
  version: string | null;
  stored: Array<{ id: string; position: number }> | null;
}

/**
 * The columns written to `conversations` are turnColumns' (SET_TURN_FROM_T), the follow-up's
 * finishing those of finishFollowUp (follow-ups.ts), the messages outboundRow's (messages.ts),
 * pending; keep them in step. The follow-up row is locked after its conversation's, like every
 * statement here that holds both (and, with SKIP LOCKED, never waiting for either). The
 * conversation is checked as the inbound turns' is (CONVERSATION_AT_VERSION); the follow-up is
 * named by the array of the batch's ids too, a look-up in its primary key for the reason given at
 * saveTurnsAtVersion's statement.
 */
const SAVE_STATEMENT = `
with t as (
  select * from jsonb_to_recordset($1::jsonb) as t(
    n integer, follow_up_id uuid, outcome text, conversation_id uuid, version text, identity_phone text,
    mode text, flow_id text, node_id text, state jsonb, locale text, at timestamptz, replies jsonb)
),
conv as (
  select c.id from conversations c
  join t on t.conversation_id = c.id
  where ${CONVERSATION_AT_VERSION}
  order by c.id
  for update of c skip locked
),
due as (
  select f.id from follow_ups f
  join t on t.follow_up_id = f.id
  join conv on conv.id = t.conversation_id
  where f.id = any(array(select t.follow_up_id from t))
    and f.conversation_id = t.conversation_id and f.status = 'scheduled' and f.due_at <= t.at
  order by f.id
  for update of f skip locked
),
saved as (
  update conversations c
  ${SET_TURN_FROM_T}
  from t join due on due.id = t.follow_up_id
  where c.id = t.conversation_id
  returning c.id, c.xmin::text as version
),
finished as (
  update follow_ups f set status = 'done', outcome = t.outcome, finished_at = t.at
  from t join saved on saved.id = t.conversation_id
  where f.id = t.follow_up_id
  returning f.id
),
replies as (
  insert into messages (conversation_id, direction, sender, channel, text, choices, flow_id, node_id,
    reply_to_id, position, input_hint, delivery_status)
  select t.conversation_id, 'out', r.sender, r.channel, r.text, r.choices, r.flow_id, r.node_id,
    null, r.position, r.input_hint, 'pending'
  from saved
  join t on t.conversation_id = saved.id
  cross join lateral jsonb_to_recordset(t.replies) as r(
    channel text, text text, choices jsonb, flow_id text, node_id text, sender text, position integer,
    input_hint text)
  order by t.n, r.position
  returning id, conversation_id, position
)
select t.n, saved.version,
  (select json_agg(json_build_object('id', replies.id, 'position', replies.position))
    from replies where replies.conversation_id = t.conversation_id) as stored
from t
left join saved on saved.id = t.conversation_id
order by t.n`;
