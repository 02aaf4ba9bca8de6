import { type Kysely, sql } from 'kysely';
import type { ConversationMode } from '../../engine/actions.js';
import { QueryTemplate } from '../query-template.js';
import type { ChannelName, Conversation, Database } from '../schema.js';
import { type InboundRecord, insertingInboundIntoConv } from './messages.js';

/**
 * Serialises all work on one channel identity across processes, for the rest of the
 * transaction. A row lock cannot do this for a first message, when no row exists yet.
 */
export async function lockIdentity(
  db: Kysely<Database>,
  channel: ChannelName,
  externalId: string,
): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`${channel}:${externalId}`}, 0))`.execute(db);
}

/** Conversations with their identity's phone, rows locked FOR UPDATE; callers narrow the set. */
export function lockedConversations(db: Kysely<Database>) {
  return db
    .selectFrom('conversations')
    .innerJoin('channel_identities', 'channel_identities.id', 'conversations.identity_id')
    .selectAll('conversations')
    .select('channel_identities.phone_e164 as identity_phone')
    .forUpdate('conversations');
}

/** The identity's open conversation, locked (FOR UPDATE) until the transaction ends. */
export async function lockOpenConversation(
  db: Kysely<Database>,
  identityId: string,
): Promise<LockedConversation | undefined> {
  return lockedConversations(db)
    .where('conversations.identity_id', '=', identityId)
    .where('conversations.mode', '<>', 'closed')
    .executeTakeFirst();
}

/** A conversation with the phone number its channel identity vouches for (if any). */
export type LockedConversation = Conversation & { identity_phone: string | null };

export async function createConversation(
  db: Kysely<Database>,
  values: { contactId: string; identityId: string; channel: ChannelName; locale: string; state: unknown },
): Promise<Conversation> {
  return db
    .insertInto('conversations')
    .values({
      contact_id: values.contactId,
      identity_id: values.identityId,
      channel: values.channel,
      mode: 'bot',
      state: JSON.stringify(values.state),
      locale: values.locale,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * A new beneficiary's first message, in ONE statement: the contact, its channel identity, the
 * conversation (in the contact's language) and the inbound message, each inserted from the row
 * before (data-modifying CTEs). For an identity that does not exist and brings no verified phone
 * to link it by, under the identity's advisory lock (lockIdentity). `inbound` is undefined when
 * the message id is already stored (a redelivery), as with insertInbound.
 */
export async function createFirstConversation(
  db: Kysely<Database>,
  values: {
    channel: ChannelName;
    externalUserId: string;
    displayName: string | null;
    state: unknown;
    inbound: Omit<InboundRecord, 'conversationId' | 'receivedAt'>;
  },
): Promise<{ conversation: LockedConversation; inbound: { id: string } | undefined }> {
  const row = await db
    .with('contact', (qb) =>
      qb
        .insertInto('contacts')
        .values({ display_name: values.displayName, phone_e164: null, phone_verified: false })
        .returning(['id', 'locale']),
    )
    .with('identity', (qb) =>
      qb
        .insertInto('channel_identities')
        .columns(['contact_id', 'channel', 'external_id', 'display_name', 'phone_e164'])
        .expression((eb) =>
          eb
            .selectFrom('contact')
            .select([
              'contact.id',
              sql.val(values.channel).as('channel'),
              sql.val(values.externalUserId).as('external_id'),
              sql.val(values.displayName).as('display_name'),
              sql<null>`null::text`.as('phone_e164'),
            ]),
        )
        .returning(['id', 'contact_id']),
    )
    .with('conv', (qb) =>
      qb
        .insertInto('conversations')
        .columns(['contact_id', 'identity_id', 'channel', 'mode', 'state', 'locale'])
        .expression((eb) =>
          eb
            .selectFrom('identity')
            .innerJoin('contact', 'contact.id', 'identity.contact_id')
            .select([
              'contact.id',
              'identity.id as identity_id',
              sql.val(values.channel).as('channel'),
              sql.lit('bot').as('mode'),
              sql`${JSON.stringify(values.state)}::jsonb`.as('state'),
              'contact.locale',
            ]),
        )
        .returningAll(),
    )
    .with('ins', (qb) =>
      insertingInboundIntoConv(
        qb as unknown as Parameters<typeof insertingInboundIntoConv>[0],
        values.inbound,
      ),
    )
    .selectFrom('conv')
    .selectAll('conv')
    .select((eb) => [
      sql<null>`null::text`.as('identity_phone'),
      eb.selectFrom('ins').select('ins.id').as('inbound_id'),
    ])
    .executeTakeFirstOrThrow();
  const { inbound_id: inboundId, ...conversation } = row;
  return {
    conversation: conversation as unknown as LockedConversation,
    inbound: inboundId ? { id: inboundId } : undefined,
  };
}

export interface ConversationTurn {
  mode: ConversationMode;
  flowId: string | null;
  nodeId: string | null;
  state: unknown;
  locale: string;
  at: Date;
  /** The turn answers the beneficiary's message (not a follow-up's or staff's event). */
  inbound?: boolean;
}

/** The columns a turn writes on its conversation, the state given as JSON text. */
export function turnColumns(turn: Omit<ConversationTurn, 'state'>, stateJson: string) {
  return {
    mode: turn.mode,
    flow_id: turn.flowId,
    node_id: turn.nodeId,
    state: stateJson,
    locale: turn.locale,
    updated_at: turn.at,
    last_message_at: turn.at,
    ...(turn.inbound ? { last_inbound_at: turn.at } : {}),
  };
}

/** The open conversation of a channel identity, without locking (read-only views). */
export async function findOpenConversation(
  db: Kysely<Database>,
  channel: ChannelName,
  externalId: string,
): Promise<Conversation | undefined> {
  return db
    .selectFrom('conversations')
    .innerJoin('channel_identities', 'channel_identities.id', 'conversations.identity_id')
    .selectAll('conversations')
    .where('channel_identities.channel', '=', channel)
    .where('channel_identities.external_id', '=', externalId)
    .where('conversations.mode', '<>', 'closed')
    .executeTakeFirst();
}

/** A conversation by id, locked (FOR UPDATE) until the transaction ends. */
export async function lockConversationById(
  db: Kysely<Database>,
  conversationId: string,
): Promise<LockedConversation | undefined> {
  return lockedConversations(db).where('conversations.id', '=', conversationId).executeTakeFirst();
}

/** The identity's open conversation, locked, and whether the inbound message was new to it. */
export interface LockedWithInbound {
  conversation: LockedConversation;
  /** The stored inbound message; undefined when the channel had delivered it before. */
  inbound: { id: string } | undefined;
}

/** Built once: this statement starts every turn that takes the locking path (see QueryTemplate). */
const lockingStoringInbound = new QueryTemplate(
  (
    db: Kysely<Database>,
    v: {
      identityId: string;
      channel: ChannelName;
      externalId: string;
      text: string;
      mediaKind: string | null;
    },
  ) =>
    db
      .with('conv', (qb) =>
        lockedConversations(qb as unknown as Kysely<Database>)
          .where('conversations.identity_id', '=', v.identityId)
          .where('conversations.mode', '<>', 'closed'),
      )
      .with('ins', (qb) =>
        insertingInboundIntoConv(qb as unknown as Parameters<typeof insertingInboundIntoConv>[0], v),
      )
      .selectFrom('conv')
      .selectAll('conv')
      .select((eb) => eb.selectFrom('ins').select('ins.id').as('inbound_id')),
);

/**
 * The inbox's fast path in ONE statement: locks the identity's open conversation (FOR UPDATE)
 * and stores the inbound message in it, recognising a redelivery by the unique channel +
 * external id. Undefined when the identity has no open conversation (nothing is stored then).
 * Round trips are most of a turn's cost, so the lock and the insert travel together.
 */
export async function lockOpenConversationStoringInbound(
  db: Kysely<Database>,
  identityId: string,
  record: Omit<InboundRecord, 'conversationId'>,
): Promise<LockedWithInbound | undefined> {
  const row = await lockingStoringInbound.executeTakeFirst(db, {
    identityId,
    channel: record.channel,
    externalId: record.externalId,
    text: record.text,
    mediaKind: record.mediaKind,
  });
  if (!row) return undefined;
  const { inbound_id, ...conversation } = row;
  return {
    conversation: conversation as LockedConversation,
    inbound: inbound_id ? { id: inbound_id } : undefined,
  };
}
