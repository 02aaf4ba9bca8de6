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
