import { type Kysely, sql } from 'kysely';
import type { Clock } from '../clock.js';
import { FINAL_STATUSES } from '../domain/request-status.js';
import { type Logger, safeError } from '../logger.js';
import { recordAudit } from '../staff/audit.js';
import { staffDb } from '../staff/storage/schema.js';
import { type ErasureResult, eraseContact } from '../storage/repositories/erasure.js';
import type { Database } from '../storage/schema.js';

export interface RetentionOptions {
  db: Kysely<Database>;
  logger: Logger;
  clock: Clock;
  /** DATA_RETENTION: how long after their last activity a beneficiary's personal data is kept. */
  retentionMs: number;
  /** Contacts erased per pass, so one pass never holds the database for long. */
  batchSize?: number;
}

/**
 * Destroys personal data that is no longer needed (the Saudi PDPL's storage limitation): a
 * beneficiary with no message and no change to any request for DATA_RETENTION, with no request
 * still in progress and no conversation with staff, is erased as an admin would erase them
 * (`eraseContact`) — counts and statuses stay for the reports. Each erasure is audited with no
 * staff member. Safe to run in every process at once: an erasure takes the conversation locks
 * and erasing twice is harmless.
 */
export class RetentionSweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly options: RetentionOptions) {}

  /** Contacts due for erasure now, oldest activity first. */
  async due(limit = this.options.batchSize ?? 100): Promise<string[]> {
    const cutoff = new Date(this.options.clock.now().getTime() - this.options.retentionMs);
    const rows = await this.options.db
      .selectFrom('contacts as ct')
      .select('ct.id')
      .where('ct.erased_at', 'is', null)
      .where('ct.created_at', '<', cutoff)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('conversations as c')
              .select(sql.lit(1).as('one'))
              .whereRef('c.contact_id', '=', 'ct.id')
              .where((eb) =>
                eb.or([eb('c.last_message_at', '>=', cutoff), eb('c.mode', 'in', ['waiting', 'staff'])]),
              ),
          ),
        ),
      )
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('support_requests as r')
              .select(sql.lit(1).as('one'))
              .whereRef('r.contact_id', '=', 'ct.id')
              .where((eb) =>
                eb.or([eb('r.updated_at', '>=', cutoff), eb('r.status', 'not in', [...FINAL_STATUSES])]),
              ),
          ),
        ),
      )
      .orderBy('ct.created_at')
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  /** One pass: erases up to a batch of due contacts; returns how many. */
  async runOnce(): Promise<number> {
    const due = await this.due();
    let erased = 0;
    for (const contactId of due) {
      const result = await eraseContact(this.options.db, contactId, this.options.clock.now());
      if (!result) continue;
      await this.audit(contactId, result);
      erased++;
    }
    if (erased > 0)
      this.options.logger.info({ erased }, 'data retention: personal data of inactive beneficiaries erased');
    return erased;
  }

  /** Runs a pass now and then every `intervalMs`, one pass at a time. */
  start(intervalMs: number): void {
    const tick = () => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((error: unknown) =>
          this.options.logger.error({ err: safeError(error) }, 'data retention pass failed; retried later'),
        )
        .finally(() => {
          this.running = undefined;
        });
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async audit(contactId: string, result: ErasureResult): Promise<void> {
    // No staff member did this: the audit row names none, and says why.
    await recordAudit(staffDb(this.options.db), {
      staffId: null,
      action: 'contact.erase',
      target: { type: 'contact', id: contactId },
      details: { ...result, retention: true },
    });
  }
}
