import type { Kysely } from 'kysely';
import {
  acquireDeliveryLeasesIfPending,
  type HeldLease,
  type LeaseAttempt,
  NOTHING_PENDING,
  type Settlement,
  settleUnderLeases,
} from '../storage/repositories/delivery-leases.js';
import type { ChannelName, Database } from '../storage/schema.js';
import { StatementBatcher } from '../storage/statement-batcher.js';

/**
 * Where a settlement left its lease: renewals `held` (still ours) or `lost` (taken over);
 * releases `released`, or `again` when another deliverer asked for one more pass meanwhile.
 */
export type LeaseAfterSettlement = 'held' | 'lost' | 'released' | 'again';

/**
 * Group commit for delivery records: a message's record (and its lease's renewal or release)
 * goes with the others asked for at the same moment, in one statement (settleUnderLeases). Each
 * deliverer still waits for its record before it sends the next message, so one conversation is
 * never in two statements at once.
 */
export function settlementBatcher(db: Kysely<Database>): StatementBatcher<Settlement, LeaseAfterSettlement> {
  return new StatementBatcher(
    async (settlements) => {
      const { renewed, again } = await settleUnderLeases(db, settlements);
      return settlements.map(({ lease, then }): LeaseAfterSettlement => {
        if (then === 'renew') return renewed.has(lease.conversationId) ? 'held' : 'lost';
        return again.has(lease.conversationId) ? 'again' : 'released';
      });
    },
    { gatherOneTurn: true },
  );
}

/**
 * The same for taking leases: the passes that start at the same moment (a burst of delivery
 * jobs) take their conversations' leases, and read their messages, in one statement
 * (acquireDeliveryLeasesIfPending). A conversation is asked for once per statement.
 */
export function leaseBatcher(
  db: Kysely<Database>,
  channels: () => readonly ChannelName[],
): StatementBatcher<HeldLease, LeaseAttempt> {
  return new StatementBatcher(
    async (requests) => {
      const attempts = await acquireDeliveryLeasesIfPending(db, requests, channels());
      return requests.map((request) => attempts.get(request.conversationId) ?? NOTHING_PENDING);
    },
    { keyOf: (request) => request.conversationId, gatherOneTurn: true },
  );
}
