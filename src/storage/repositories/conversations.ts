import { type Kysely, sql } from 'kysely';
import type { ConversationMode } from '../../engine/actions.js';
import type { ChannelName, Conversation, Database } from '../schema.js';

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

/** The identity's open conversation, locked (FOR UPDATE) until the transaction ends. */
export async function lockOpenConversation(
  db: Kysely<Database>,
  identityId: string,
): Promise<Conversation | undefined> {
  return db
    .selectFrom('conversations')
    .selectAll()
    .where('identity_id', '=', identityId)
    .where('mode', '<>', 'closed')
    .forUpdate()
    .executeTakeFirst();
}

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

export interface ConversationTurn {
  mode: ConversationMode;
  flowId: string | null;
  nodeId: string | null;
  state: unknown;
  locale: string;
  at: Date;
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
