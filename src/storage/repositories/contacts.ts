import type { Kysely } from 'kysely';
import type { ChannelIdentity, ChannelName, Contact, Database } from '../schema.js';

export interface IdentityInput {
  channel: ChannelName;
  externalId: string;
  displayName?: string | null | undefined;
  /** E.164 phone number the channel vouches for (a WhatsApp sender, a shared Telegram contact). */
  verifiedPhone?: string | null | undefined;
}

/** The channel identity, if it exists, marked as seen now (and reachable again). */
export async function touchIdentity(
  db: Kysely<Database>,
  input: IdentityInput,
): Promise<ChannelIdentity | undefined> {
  return (
    db
      .updateTable('channel_identities')
      // Writing again means the person can be reached again (they unblocked the bot).
      .set({
        last_seen_at: new Date(),
        unreachable_at: null,
        ...(input.displayName ? { display_name: input.displayName } : {}),
      })
      .where('channel', '=', input.channel)
      .where('external_id', '=', input.externalId)
      .returningAll()
      .executeTakeFirst()
  );
}

/**
 * Finds or creates the channel identity and its contact. A new identity whose verified phone
 * belongs to an existing contact is linked to that contact, so one person on WhatsApp and on
 * Telegram sees the same requests.
 */
export async function resolveIdentity(
  db: Kysely<Database>,
  input: IdentityInput,
  /** What touchIdentity found, when the caller has already run it. */
  touched?: { existing: ChannelIdentity | undefined },
): Promise<{ identity: ChannelIdentity; contact: Contact; created: boolean }> {
  const existing = touched ? touched.existing : await touchIdentity(db, input);
  if (existing) {
    if (input.verifiedPhone && input.verifiedPhone !== existing.phone_e164) {
      return { ...(await attachVerifiedPhone(db, existing, input.verifiedPhone)), created: false };
    }
    const contact = await db
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', existing.contact_id)
      .executeTakeFirstOrThrow();
    return { identity: existing, contact, created: false };
  }

  const phone = input.verifiedPhone ?? null;
  const linked = phone
    ? await db
        .selectFrom('contacts')
        .selectAll()
        .where('phone_e164', '=', phone)
        .where('phone_verified', '=', true)
        .orderBy('created_at')
        .executeTakeFirst()
    : undefined;
  const contact =
    linked ??
    (await db
      .insertInto('contacts')
      .values({ display_name: input.displayName ?? null, phone_e164: phone, phone_verified: phone !== null })
      .returningAll()
      .executeTakeFirstOrThrow());
  const identity = await db
    .insertInto('channel_identities')
    .values({
      contact_id: contact.id,
      channel: input.channel,
      external_id: input.externalId,
      display_name: input.displayName ?? null,
      phone_e164: phone,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { identity, contact, created: true };
}

export async function setContactLocale(
  db: Kysely<Database>,
  contactId: string,
  locale: string,
): Promise<void> {
  await db
    .updateTable('contacts')
    .set({ locale, updated_at: new Date() })
    .where('id', '=', contactId)
    .execute();
}

/**
 * A known identity proves a phone number (a shared Telegram contact). If another contact already
 * owns that verified number, the two are one person: this contact's identities, conversations,
 * requests and ratings move to it, so `status` shows the same requests on every channel.
 */
async function attachVerifiedPhone(
  db: Kysely<Database>,
  identity: ChannelIdentity,
  phone: string,
): Promise<{ identity: ChannelIdentity; contact: Contact }> {
  const updated = await db
    .updateTable('channel_identities')
    .set({ phone_e164: phone })
    .where('id', '=', identity.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const owner = await db
    .selectFrom('contacts')
    .selectAll()
    .where('phone_e164', '=', phone)
    .where('phone_verified', '=', true)
    .where('id', '<>', identity.contact_id)
    .orderBy('created_at')
    .executeTakeFirst();
  if (!owner) {
    const contact = await db
      .updateTable('contacts')
      .set({ phone_e164: phone, phone_verified: true, updated_at: new Date() })
      .where('id', '=', identity.contact_id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { identity: updated, contact };
  }
  await mergeContacts(db, identity.contact_id, owner.id);
  return { identity: { ...updated, contact_id: owner.id }, contact: owner };
}

/** Moves everything of contact `from` to contact `into`, then deletes `from`. */
export async function mergeContacts(db: Kysely<Database>, from: string, into: string): Promise<void> {
  for (const table of [
    'channel_identities',
    'conversations',
    'support_requests',
    'ratings',
    'escalations',
  ] as const) {
    await db.updateTable(table).set({ contact_id: into }).where('contact_id', '=', from).execute();
  }
  await db.deleteFrom('lookup_throttle').where('contact_id', '=', from).execute();
  await db.deleteFrom('contacts').where('id', '=', from).execute();
}
