import { type Kysely, type QueryCreator, sql } from 'kysely';
import { QueryTemplate } from '../query-template.js';
import type { ChannelName, Database, FollowUp, FollowUpKind } from '../schema.js';
import { type ConversationTurn, turnColumns } from './conversations.js';
import {
  cancellingFollowUps,
  type FollowUpMove,
  type FollowUpRestart,
  movingFollowUps,
} from './follow-ups.js';
import { insertingInboundIntoConv, type OutboundRecord } from './messages.js';
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
  /** The intake's reminder and expiry moved on by this answer. */
  move?: FollowUpMove | undefined;
  /** The intake's follow-ups started afresh (it starts or ends). */
  restart?: FollowUpRestart | undefined;
}

export type VersionedTurnResult =
  | {
      applied: true;
      inboundId: string;
      version: string;
      replies: StoredReply[];
      /** The follow-ups the restart scheduled, for the queue once committed. */
      scheduled: FollowUp[];
    }
  | { applied: false };

/**
 * A whole inbound turn in ONE statement, run on its own (its own transaction, one round trip),
 * applied only if the conversation is still at the version the turn was computed from: the row
 * is locked FOR UPDATE and re-checked after any wait, then the inbound message is stored, the
 * state saved, the follow-ups moved and the replies stored, each step conditional on the one
 * before. When the version moved on (another process or staff changed the conversation), the
 * conversation was closed, or the message is a redelivery, nothing at all is written and the
 * caller runs the turn the long way, inside a transaction that locks first.
 *
 * The replies travel as one JSON parameter, so the statement's text is the same whatever their
 * number (one prepared statement), and each reply's reply_to_id can name the inbound row the
 * statement itself inserts.
 */
export async function saveTurnAtVersion(
  db: Kysely<Database>,
  input: VersionedTurn,
): Promise<VersionedTurnResult> {
  const { turn, move, restart } = input;
  const kinds = move ? (Object.keys(move.dueAt) as FollowUpKind[]).sort() : [];
  const restartKinds = restart ? [...restart.kinds].sort() : undefined;
  const values: StatementValues = {
    conversationId: input.conversationId,
    version: input.version,
    identityPhone: input.identityPhone,
    channel: input.inbound.channel,
    externalId: input.inbound.externalId,
    text: input.inbound.text,
    mediaKind: input.inbound.mediaKind,
    mode: turn.mode,
    flowId: turn.flowId,
    nodeId: turn.nodeId,
    state: turn.stateJson,
    locale: turn.locale,
    at: turn.at,
    sentAt: new Date(),
    replies: JSON.stringify(
      input.replies.map((reply) => ({
        text: reply.text,
        choices: reply.choices,
        flow_id: reply.flowId,
        node_id: reply.nodeId,
        sender: reply.sender,
        position: reply.position,
        input_hint: reply.inputHint ?? null,
        delivery_status: reply.deliveryStatus,
      })),
    ),
    ...Object.fromEntries(kinds.map((kind) => [`due_${kind}`, move?.dueAt[kind]])),
    ...(restart && {
      restartAt: restart.at,
      restartFresh: JSON.stringify(
        restart.fresh.map((followUp) => ({
          kind: followUp.kind,
          contact_id: followUp.contactId,
          conversation_id: followUp.conversationId ?? null,
          request_id: followUp.requestId ?? null,
          basis: followUp.basis ?? {},
          due_at: followUp.dueAt,
        })),
      ),
    }),
  };
  const row = await templateFor(kinds, restartKinds).executeTakeFirst(db, values);
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

/** A follow_ups row as json_agg gives it: timestamps come back as text. */
function followUpFromJson(row: Record<string, unknown>): FollowUp {
  const at = (value: unknown) => (typeof value === 'string' ? new Date(value) : null);
  return {
    ...(row as unknown as FollowUp),
    due_at: at(row.due_at) as Date,
    created_at: at(row.created_at) as Date,
    finished_at: at(row.finished_at),
  };
}

/** The statement's values by name (QueryTemplate); `due_<kind>` for each follow-up moved. */
type StatementValues = {
  conversationId: string;
  version: string;
  identityPhone: string | null;
  channel: ChannelName;
  externalId: string;
  text: string;
  mediaKind: string | null;
  mode: ConversationTurn['mode'];
  flowId: string | null;
  nodeId: string | null;
  /** JSON text. */
  state: string;
  locale: string;
  at: Date;
  /** When replies stored as sent (inline delivery) were sent. */
  sentAt: Date;
  /** JSON text: the replies, read back by jsonb_to_recordset. */
  replies: string;
} & Record<string, unknown>;

interface StatementRow {
  inbound_id: string | null;
  version: string | null;
  stored: Array<{ id: string; position: number }> | null;
  /** The restart's new follow_ups rows (json_agg), when the statement has one. */
  scheduled?: Array<Record<string, unknown>> | null;
}

/**
 * Built and compiled by Kysely once per set of follow-up kinds moved (in practice: none, or the
 * intake's reminder and expiry), since this statement runs for most inbound messages and
 * rebuilding its query tree every time cost more than the round trip it saves.
 */
const templates = new Map<string, QueryTemplate<StatementValues, StatementRow>>();

function templateFor(
  kinds: readonly FollowUpKind[],
  restartKinds: readonly FollowUpKind[] | undefined,
): QueryTemplate<StatementValues, StatementRow> {
  const key = `${kinds.join(',')}|${restartKinds?.join(',') ?? '-'}`;
  let template = templates.get(key);
  if (!template) {
    template = new QueryTemplate((db, v) => buildStatement(db, v, kinds, restartKinds));
    templates.set(key, template);
  }
  return template;
}

function buildStatement(
  db: Kysely<Database>,
  v: StatementValues,
  kinds: readonly FollowUpKind[],
  restartKinds: readonly FollowUpKind[] | undefined,
) {
  let statement = db
    .with('conv', (qb) =>
      qb
        .selectFrom('conversations')
        .innerJoin('channel_identities', 'channel_identities.id', 'conversations.identity_id')
        .select('conversations.id')
        .where('conversations.id', '=', v.conversationId)
        .where(conversationVersion, '=', v.version)
        .where('conversations.mode', '<>', sql.lit('closed'))
        .where('channel_identities.phone_e164', 'is not distinct from', v.identityPhone)
        .forUpdate('conversations'),
    )
    .with('ins', (qb) =>
      insertingInboundIntoConv(qb as unknown as Parameters<typeof insertingInboundIntoConv>[0], v),
    )
    .with('saved', (qb) =>
      qb
        .updateTable('conversations')
        .from('ins')
        .set(turnColumns(v, v.state))
        .where('conversations.id', '=', v.conversationId)
        .returning(conversationVersion.as('version')),
    );
  if (kinds.length > 0) {
    const move: FollowUpMove = {
      conversationId: v.conversationId,
      dueAt: Object.fromEntries(kinds.map((kind) => [kind, v[`due_${kind}`]])),
    };
    statement = statement.with('moved_follow_ups', (qb) =>
      movingFollowUps(qb as unknown as QueryCreator<Database>, kinds, move)
        .where(sql<boolean>`exists (select 1 from saved)`)
        .returning('follow_ups.id'),
    ) as unknown as typeof statement;
  }
  if (restartKinds) {
    // As restartFollowUps, each part only if the turn was saved.
    statement = statement
      .with('restart_cancelled', (qb) =>
        cancellingFollowUps(
          qb as unknown as Kysely<Database>,
          { conversationId: v.conversationId },
          restartKinds,
          v.restartAt as Date,
        )
          .where(sql<boolean>`exists (select 1 from saved)`)
          .returning('follow_ups.id'),
      )
      .with('restart_created', (qb) =>
        qb
          .insertInto('follow_ups')
          .columns(['kind', 'contact_id', 'conversation_id', 'request_id', 'basis', 'due_at', 'status'])
          .expression(
            sql`select f.kind, f.contact_id, f.conversation_id, f.request_id, f.basis, f.due_at, 'scheduled'
              from jsonb_to_recordset(${v.restartFresh}::jsonb) as f(
                kind text, contact_id uuid, conversation_id uuid, request_id uuid, basis jsonb,
                due_at timestamptz)
              where exists (select 1 from saved)`,
          )
          .onConflict((conflict) => conflict.doNothing())
          .returningAll(),
      ) as unknown as typeof statement;
  }
  return statement
    .with('replies', (qb) =>
      qb
        .insertInto('messages')
        .columns([
          'conversation_id',
          'direction',
          'sender',
          'channel',
          'text',
          'choices',
          'flow_id',
          'node_id',
          'reply_to_id',
          'position',
          'input_hint',
          'delivery_status',
          'sent_at',
        ])
        // Raw because Kysely has no builder for a table function with a column list.
        .expression(
          sql`select ${v.conversationId}::uuid, 'out', r.sender, ${v.channel}, r.text, r.choices,
            r.flow_id, r.node_id, saved_inbound.id, r.position, r.input_hint, r.delivery_status,
            case when r.delivery_status = 'sent' then ${v.sentAt}::timestamptz end
            from (select ins.id from ins join saved on true) as saved_inbound
            cross join jsonb_to_recordset(${v.replies}::jsonb) as r(
              text text, choices jsonb, flow_id text, node_id text, sender text, position integer,
              input_hint text, delivery_status text)`,
        )
        .returning(['id', 'position']),
    )
    .selectNoFrom((eb) => [
      eb.selectFrom('ins').select('ins.id').as('inbound_id'),
      eb.selectFrom('saved').select('saved.version').as('version'),
      sql<
        StatementRow['stored']
      >`(select json_agg(json_build_object('id', replies.id, 'position', replies.position)) from replies)`.as(
        'stored',
      ),
      restartKinds
        ? sql<StatementRow['scheduled']>`(select json_agg(restart_created) from restart_created)`.as(
            'scheduled',
          )
        : sql<null>`null`.as('scheduled'),
    ]);
}
