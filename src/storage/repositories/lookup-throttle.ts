import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface ThrottlePolicy {
  /** Failed look-ups allowed within one block period before the contact is blocked. */
  maxFailures: number;
  blockMs: number;
}

/** True while the contact is blocked from looking up references. */
export async function isLookupBlocked(db: Kysely<Database>, contactId: string, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('lookup_throttle')
    .select('blocked_until')
    .where('contact_id', '=', contactId)
    .executeTakeFirst();
  return row?.blocked_until != null && row.blocked_until.getTime() > now.getTime();
}

/**
 * Counts a failed look-up. After `maxFailures` failures within one block period the contact is
 * blocked for `blockMs`; guessing other people's references becomes too slow to be worth it.
 */
export async function recordLookupFailure(
  db: Kysely<Database>,
  contactId: string,
  now: Date,
  policy: ThrottlePolicy,
): Promise<void> {
  const row = await db
    .selectFrom('lookup_throttle')
    .selectAll()
    .where('contact_id', '=', contactId)
    .executeTakeFirst();
  const windowExpired = !row || now.getTime() - row.window_started_at.getTime() > policy.blockMs;
  const failures = windowExpired ? 1 : row.failures + 1;
  const windowStartedAt = windowExpired ? now : row.window_started_at;
  const blockedUntil = failures >= policy.maxFailures ? new Date(now.getTime() + policy.blockMs) : null;
  const values = {
    failures: blockedUntil ? 0 : failures,
    window_started_at: blockedUntil ? now : windowStartedAt,
    blocked_until: blockedUntil,
  };
  await db
    .insertInto('lookup_throttle')
    .values({ contact_id: contactId, ...values })
    .onConflict((conflict) => conflict.column('contact_id').doUpdateSet(values))
    .execute();
}

export async function clearLookupFailures(db: Kysely<Database>, contactId: string): Promise<void> {
  await db.deleteFrom('lookup_throttle').where('contact_id', '=', contactId).execute();
}
