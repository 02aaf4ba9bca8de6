import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import { runAgainIfTransient } from '../transient-errors.js';
import { lockIdentity } from './conversations.js';

/** What an erasure overwrote, for the audit log and the admin's confirmation. */
export interface ErasureResult {
  conversations: number;
  messages: number;
  requests: number;
  ratings: number;
}

/** Message text left in place of what was erased: the conversation keeps its shape for staff. */
export const ERASED_TEXT = '—';

/**
 * Erases a beneficiary's personal data, in one transaction, keeping the rows that statistics
 * count (requests by status and type, ratings by score, message volumes): name, phone, channel
 * ids, every message text of their conversations, the applicant fields of their requests (name,
 * national ID, mobile, city, income, description), staff notes on those requests and rating
 * comments are overwritten. Their conversations are closed with their collected answers dropped,
 * open escalations cancelled, follow-ups cancelled and undelivered replies never sent.
 *
 * The person's channel ids are replaced by `erased:<row id>`, so if they write again they are a
 * new beneficiary: nothing links the new contact to the erased one. Takes the locks a turn takes,
 * in the same order, so a turn in flight finishes before the erasure, or starts after it. Returns undefined for an unknown contact; erasing twice is harmless.
 */
export async function eraseContact(
  db: Kysely<Database>,
  contactId: string,
  at: Date,
): Promise<ErasureResult | undefined> {
  // A delivery or a turn in flight can make this transaction a deadlock's victim; it rolled
  // back whole, so it simply runs again (a retention pass would otherwise wait hours).
  return runAgainIfTransient(() =>
    db.transaction().execute(async (trx) => {
      // The inbox's lock order: a channel identity's advisory lock (a first message creates the
      // conversation under it), then conversation rows, then the contact row.
      const identities = await trx
        .selectFrom('channel_identities')
        .select(['channel', 'external_id'])
        .where('contact_id', '=', contactId)
        .orderBy('id')
        .execute();
      for (const identity of identities) await lockIdentity(trx, identity.channel, identity.external_id);
      const conversations = await trx
        .selectFrom('conversations')
        .select('id')
        .where('contact_id', '=', contactId)
        .orderBy('id')
        .forUpdate()
        .execute();
      const contact = await trx
        .selectFrom('contacts')
        .select('id')
        .where('id', '=', contactId)
        .forUpdate()
        .executeTakeFirst();
      if (!contact) return undefined;
      const conversationIds = conversations.map((row) => row.id);

      await trx
        .updateTable('contacts')
        .set({ display_name: null, phone_e164: null, phone_verified: false, erased_at: at, updated_at: at })
        .where('id', '=', contactId)
        .execute();
      await trx
        .updateTable('channel_identities')
        .set({
          external_id: sql<string>`'erased:' || id::text`,
          display_name: null,
          phone_e164: null,
          // Never sent to again, even by a follow-up queued before the erasure.
          unreachable_at: sql<Date>`coalesce(unreachable_at, ${at})`,
        })
        .where('contact_id', '=', contactId)
        .execute();

      let messages = 0;
      if (conversationIds.length > 0) {
        const erasedMessages = await trx
          .updateTable('messages')
          .set({
            text: ERASED_TEXT,
            choices: '[]',
            // A web message's external id carries the visitor id, the key to the conversation.
            external_id: sql<
              string | null
            >`case when external_id is null then null else 'erased:' || id::text end`,
            delivery_status: sql<
              'failed' | 'sent' | null
            >`case when delivery_status = 'pending' then 'failed' else delivery_status end`,
            delivery_error: sql<
              string | null
            >`case when delivery_status = 'pending' then 'erased' else delivery_error end`,
          })
          .where('conversation_id', 'in', conversationIds)
          .executeTakeFirst();
        messages = Number(erasedMessages.numUpdatedRows);
        await trx
          .updateTable('conversations')
          .set({
            mode: 'closed',
            closed_at: sql<Date>`coalesce(closed_at, ${at})`,
            flow_id: null,
            node_id: null,
            state: '{}',
            updated_at: at,
          })
          .where('id', 'in', conversationIds)
          .execute();
        await trx
          .updateTable('escalations')
          .set({ status: 'cancelled', closed_at: at })
          .where('conversation_id', 'in', conversationIds)
          .where('status', '=', 'open')
          .execute();
        await trx.deleteFrom('delivery_leases').where('conversation_id', 'in', conversationIds).execute();
      }

      const requests = await trx
        .updateTable('support_requests')
        .set({
          full_name: ERASED_TEXT,
          national_id: '',
          mobile_e164: '',
          city: ERASED_TEXT,
          monthly_income: 0,
          description: ERASED_TEXT,
          erased_at: at,
          updated_at: at,
        })
        .where('contact_id', '=', contactId)
        .returning('id')
        .execute();
      if (requests.length > 0) {
        await trx
          .updateTable('request_status_history')
          .set({ note: null })
          .where(
            'request_id',
            'in',
            requests.map((row) => row.id),
          )
          .execute();
      }
      const ratings = await trx
        .updateTable('ratings')
        .set({ comment: null })
        .where('contact_id', '=', contactId)
        .executeTakeFirst();
      await trx
        .updateTable('follow_ups')
        .set({ status: 'cancelled', outcome: 'erased', finished_at: at })
        .where('contact_id', '=', contactId)
        .where('status', '=', 'scheduled')
        .execute();
      await trx.deleteFrom('lookup_throttle').where('contact_id', '=', contactId).execute();

      return {
        conversations: conversationIds.length,
        messages,
        requests: requests.length,
        ratings: Number(ratings.numUpdatedRows),
      };
    }),
  );
}
