import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { resolveIdentity } from '../../src/storage/repositories/contacts.js';
import { createConversation } from '../../src/storage/repositories/conversations.js';
import type { Database } from '../../src/storage/schema.js';

/** A new web visitor (contact and identity) with an empty open conversation, for repository tests. */
export async function newWebConversation(db: Kysely<Database>) {
  const { contact, identity } = await resolveIdentity(db, { channel: 'web', externalId: randomUUID() });
  const conversation = await createConversation(db, {
    contactId: contact.id,
    identityId: identity.id,
    channel: 'web',
    locale: 'ar',
    state: {},
  });
  return { contact, identity, conversation };
}

/** The texts a web visitor sent that were stored, oldest first (all their conversations). */
export async function storedInboundTexts(db: Kysely<Database>, visitorId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('messages')
    .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .innerJoin('channel_identities', 'channel_identities.id', 'conversations.identity_id')
    .select('messages.text')
    .where('channel_identities.external_id', '=', visitorId)
    .where('messages.direction', '=', 'in')
    .orderBy('messages.created_at')
    .execute();
  return rows.map((row) => row.text);
}
