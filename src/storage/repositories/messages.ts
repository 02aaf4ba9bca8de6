import { type Kysely, type OnConflictBuilder, type QueryCreator, sql } from 'kysely';
import type { ChannelName, Database, DeliveryStatus, InputHint, Message, MessageSender } from '../schema.js';

/**
 * ON CONFLICT for an inbound message already stored (a redelivery): the partial unique index on
 * channel + external id of inbound messages. Its predicate is written as a literal because a
 * parameter cannot be matched to an index predicate once the statement is prepared (42P10).
 */
export const skipRedeliveredInbound = (conflict: OnConflictBuilder<Database, 'messages'>) =>
  conflict.columns(['channel', 'external_id']).where('direction', '=', sql.lit('in')).doNothing();

export interface InboundRecord {
  conversationId: string;
  channel: ChannelName;
  externalId: string;
  text: string;
  mediaKind: string | null;
  receivedAt: Date;
}

/**
 * The INSERT storing an inbound message in the conversation that a CTE named `conv` selected
 * (none selected: nothing stored), recognising a redelivery; returns the new row's id. For the
 * inbox's single statements that lock a conversation and store the message together.
 */
export function insertingInboundIntoConv(
  qb: QueryCreator<Database & { conv: { id: string } }>,
  v: Pick<InboundRecord, 'channel' | 'externalId' | 'text' | 'mediaKind'>,
) {
  return qb
    .insertInto('messages')
    .columns([
      'conversation_id',
      'direction',
      'sender',
      'channel',
      'external_id',
      'text',
      'choices',
      'media_kind',
    ])
    .expression((eb) =>
      eb
        .selectFrom('conv')
        .select([
          'conv.id',
          sql.lit('in').as('direction'),
          sql.lit('contact').as('sender'),
          sql.val(v.channel).as('channel'),
          sql.val(v.externalId).as('external_id'),
          sql.val(v.text).as('text'),
          sql.lit('[]').as('choices'),
          sql.val(v.mediaKind).as('media_kind'),
        ]),
    )
    .onConflict(skipRedeliveredInbound)
    .returning('id');
}

/**
 * Stores an inbound message exactly as sent. Returns undefined when the channel already
 * delivered a message with this id (a redelivery), which the caller must not process again.
 */
export async function insertInbound(
  db: Kysely<Database>,
  record: InboundRecord,
): Promise<{ id: string } | undefined> {
  return db
    .insertInto('messages')
    .values({
      conversation_id: record.conversationId,
      direction: 'in',
      sender: 'contact',
      channel: record.channel,
      external_id: record.externalId,
      text: record.text,
      choices: '[]',
      media_kind: record.mediaKind,
    })
    .onConflict(skipRedeliveredInbound)
    .returning('id')
    .executeTakeFirst();
}

export async function findInbound(
  db: Kysely<Database>,
  channel: ChannelName,
  externalId: string,
): Promise<Message | undefined> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('direction', '=', 'in')
    .where('channel', '=', channel)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
}

export interface OutboundRecord {
  conversationId: string;
  channel: ChannelName;
  sender: Exclude<MessageSender, 'contact'>;
  text: string;
  choices: string[];
  flowId: string | null;
  nodeId: string | null;
  replyToId: string | null;
  position: number;
  deliveryStatus: DeliveryStatus;
  inputHint?: InputHint | null;
}

/** The row of a bot or staff message. */
export function outboundRow(record: OutboundRecord) {
  return {
    conversation_id: record.conversationId,
    direction: 'out' as const,
    sender: record.sender,
    channel: record.channel,
    text: record.text,
    choices: JSON.stringify(record.choices),
    flow_id: record.flowId,
    node_id: record.nodeId,
    reply_to_id: record.replyToId,
    position: record.position,
    input_hint: record.inputHint ?? null,
    delivery_status: record.deliveryStatus,
    sent_at: record.deliveryStatus === 'sent' ? new Date() : null,
  };
}

/** The replies produced by one inbound message, in the order they were sent. */
export async function repliesTo(db: Kysely<Database>, inboundId: string): Promise<Message[]> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('reply_to_id', '=', inboundId)
    .orderBy('position')
    .execute();
}

/** The latest messages of a conversation, oldest first. */
export async function conversationHistory(
  db: Kysely<Database>,
  conversationId: string,
  limit = 200,
): Promise<Message[]> {
  const newest = await db
    .selectFrom('messages')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .orderBy('created_at', 'desc')
    .orderBy('position', 'desc')
    .limit(limit)
    .execute();
  return newest.reverse();
}
