import type { StaffDb } from '../storage/schema.js';

/**
 * Everything the association holds about one beneficiary, unmasked — what the person is entitled
 * to receive on request (the right of access) — or undefined for an unknown contact. Only admins
 * read it, and every read is audited.
 */
export async function contactExport(db: StaffDb, contactId: string) {
  const contact = await db
    .selectFrom('contacts')
    .select(['id', 'display_name', 'phone_e164', 'phone_verified', 'locale', 'created_at', 'erased_at'])
    .where('id', '=', contactId)
    .executeTakeFirst();
  if (!contact) return undefined;
  const [identities, messages, requests, history, ratings] = await Promise.all([
    db
      .selectFrom('channel_identities')
      .select(['channel', 'external_id', 'display_name', 'phone_e164', 'created_at', 'last_seen_at'])
      .where('contact_id', '=', contactId)
      .orderBy('created_at')
      .execute(),
    db
      .selectFrom('messages as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .select(['m.conversation_id', 'm.direction', 'm.sender', 'm.channel', 'm.text', 'm.created_at'])
      .where('c.contact_id', '=', contactId)
      .orderBy('m.created_at')
      .orderBy('m.position')
      .execute(),
    db
      .selectFrom('support_requests')
      .select([
        'id',
        'reference',
        'status',
        'support_type',
        'full_name',
        'national_id',
        'mobile_e164',
        'city',
        'family_size',
        'monthly_income',
        'description',
        'created_at',
        'erased_at',
      ])
      .where('contact_id', '=', contactId)
      .orderBy('created_at')
      .execute(),
    db
      .selectFrom('request_status_history as h')
      .innerJoin('support_requests as r', 'r.id', 'h.request_id')
      .select(['h.request_id', 'h.status', 'h.changed_at'])
      .where('r.contact_id', '=', contactId)
      .orderBy('h.changed_at')
      .execute(),
    db
      .selectFrom('ratings')
      .select(['score', 'comment', 'created_at'])
      .where('contact_id', '=', contactId)
      .orderBy('created_at')
      .execute(),
  ]);
  return {
    exportedAt: new Date().toISOString(),
    contact: {
      name: contact.display_name,
      phone: contact.phone_e164,
      phoneVerified: contact.phone_verified,
      locale: contact.locale,
      since: contact.created_at.toISOString(),
      erasedAt: contact.erased_at?.toISOString() ?? null,
    },
    channels: identities.map((identity) => ({
      channel: identity.channel,
      id: identity.external_id,
      name: identity.display_name,
      phone: identity.phone_e164,
      since: identity.created_at.toISOString(),
      lastSeen: identity.last_seen_at.toISOString(),
    })),
    requests: requests.map((request) => ({
      reference: request.reference,
      status: request.status,
      supportType: request.support_type,
      fullName: request.full_name,
      nationalId: request.national_id,
      mobile: request.mobile_e164,
      city: request.city,
      familySize: request.family_size,
      monthlyIncome: Number(request.monthly_income),
      description: request.description,
      submittedAt: request.created_at.toISOString(),
      erasedAt: request.erased_at?.toISOString() ?? null,
      // Status changes only: staff's internal notes are the association's working papers.
      history: history
        .filter((entry) => entry.request_id === request.id)
        .map((entry) => ({ status: entry.status, at: entry.changed_at.toISOString() })),
    })),
    ratings: ratings.map((rating) => ({
      score: rating.score,
      comment: rating.comment,
      at: rating.created_at.toISOString(),
    })),
    messages: messages.map((message) => ({
      conversationId: message.conversation_id,
      direction: message.direction,
      sender: message.sender,
      channel: message.channel,
      text: message.text,
      at: message.created_at.toISOString(),
    })),
  };
}
