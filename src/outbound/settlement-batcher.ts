import type { Kysely } from 'kysely';
import { type Settlement, settleUnderLeases } from '../storage/repositories/delivery-leases.js';
import type { Database } from '../storage/schema.js';

/** Most settlements written by one statement. */
const MAX_BATCH = 256;

/**
 * Where a settlement left its lease: renewals `held` (still ours) or `lost` (taken over);
 * releases `released`, or `again` when another deliverer asked for one more pass meanwhile.
 */
export type LeaseAfterSettlement = 'held' | 'lost' | 'released' | 'again';

interface Waiting {
  settlement: Settlement;
  resolve(lease: LeaseAfterSettlement): void;
  reject(error: unknown): void;
}

/**
 * Group commit for delivery records. Every delivery in this process still waits for its
 * message's record (and its lease's renewal) to be committed before it sends the next message,
 * exactly as with a statement of its own; but records asked for while one statement is in
 * flight go together in the next one. The database commits (and flushes its log) once per
 * statement rather than once per message, which is what limits delivery rate on PostgreSQL.
 */
export class SettlementBatcher {
  private waiting: Waiting[] = [];
  private writing = false;

  constructor(private readonly db: Kysely<Database>) {}

  /** Records one message and renews or releases its lease; resolves to where that left the lease. */
  settle(settlement: Settlement): Promise<LeaseAfterSettlement> {
    return new Promise<LeaseAfterSettlement>((resolve, reject) => {
      this.waiting.push({ settlement, resolve, reject });
      if (!this.writing) void this.write();
    });
  }

  private async write(): Promise<void> {
    this.writing = true;
    try {
      // One turn of the event loop lets the deliveries that are ready at the same moment join.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        try {
          const { renewed, again } = await settleUnderLeases(
            this.db,
            batch.map((waiting) => waiting.settlement),
          );
          for (const { settlement, resolve } of batch) {
            const { conversationId } = settlement.lease;
            if (settlement.then === 'renew') resolve(renewed.has(conversationId) ? 'held' : 'lost');
            else resolve(again.has(conversationId) ? 'again' : 'released');
          }
        } catch (error) {
          for (const { reject } of batch) reject(error);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
