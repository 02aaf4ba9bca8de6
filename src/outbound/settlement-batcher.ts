import type { Kysely } from 'kysely';
import { type Settlement, settleUnderLeases } from '../storage/repositories/delivery-leases.js';
import type { Database } from '../storage/schema.js';

/** Most settlements written by one statement. */
const MAX_BATCH = 256;
/** Statements running at once; settlements asked for meanwhile go together in the next one. */
const DEFAULT_MAX_IN_FLIGHT = 2;

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
 * exactly as with a statement of its own; but records asked for while the database is busy
 * with earlier ones go together in the next statement. The database commits (and flushes its
 * log) once per statement rather than once per message, which is what limits delivery rate on
 * PostgreSQL.
 *
 * More than one statement may run at once (on separate connections): a statement's round trip
 * is mostly waiting, on a busy machine as much for this process's own event loop as for the
 * database, and one statement at a time made every delivery wait for the slowest. One
 * conversation is never in two statements at once: its deliverer waits for each record before
 * it sends the next message.
 */
export class SettlementBatcher {
  private waiting: Waiting[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxInFlight = DEFAULT_MAX_IN_FLIGHT,
  ) {}

  /** Records one message and renews or releases its lease; resolves to where that left the lease. */
  settle(settlement: Settlement): Promise<LeaseAfterSettlement> {
    return new Promise<LeaseAfterSettlement>((resolve, reject) => {
      this.waiting.push({ settlement, resolve, reject });
      this.schedule();
    });
  }

  /** One turn of the event loop lets the deliveries that are ready at the same moment join. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startStatements();
    });
  }

  private startStatements(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      this.inFlight++;
      void this.write(batch).finally(() => {
        this.inFlight--;
        this.startStatements();
      });
    }
  }

  private async write(batch: Waiting[]): Promise<void> {
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
}
