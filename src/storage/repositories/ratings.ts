import type { Kysely } from 'kysely';
import { FLAGGED_RATING_MAX } from '../../domain/request-status.js';
import type { Database, Rating } from '../schema.js';

export async function recordRating(
  db: Kysely<Database>,
  rating: {
    contactId: string;
    conversationId: string | null;
    requestId: string | null;
    score: number;
    comment: string | null;
  },
): Promise<Rating> {
  return db
    .insertInto('ratings')
    .values({
      contact_id: rating.contactId,
      conversation_id: rating.conversationId,
      request_id: rating.requestId,
      score: rating.score,
      comment: rating.comment,
      flagged: rating.score <= FLAGGED_RATING_MAX,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}
