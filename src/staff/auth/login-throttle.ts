import { sql } from 'kysely';
import type { StaffDb } from '../storage/schema.js';

export interface LoginLimits {
  /** Failures allowed per email within the window; the next attempt is refused. */
  perEmail: number;
  /** Failures allowed per client address within the window (many emails from one place). */
  perIp: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perEmail: 5, perIp: 20, windowMs: 15 * 60 * 1000 };

/** Attempts are kept a day (the audit log keeps the story); older rows are deleted as we go. */
const RETENTION = '1 day';

export type ThrottleDecision =
  | { allowed: true; attemptId: string }
  | { allowed: false; retryAfterSeconds: number };

/**
 * Login rate limiting in the database, so it holds across processes and restarts. Each attempt
 * is written first, as a failure, and only then are earlier failures counted: concurrent
 * attempts see each other, so a burst cannot slip past the limit. A success turns the row
 * (and the email's earlier failures) into non-failures.
 */
export class LoginThrottle {
  constructor(
    private readonly db: StaffDb,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  async begin(email: string, ip: string): Promise<ThrottleDecision> {
    await this.db
      .deleteFrom('login_attempts')
      .where('created_at', '<', sql<Date>`clock_timestamp() - ${RETENTION}::interval`)
      .execute();
    const attempt = await this.db
      .insertInto('login_attempts')
      .values({ email, ip, outcome: 'failed' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const waits = await Promise.all([
      this.secondsUntilAllowed('email', email, this.limits.perEmail, attempt.id),
      this.secondsUntilAllowed('ip', ip, this.limits.perIp, attempt.id),
    ]);
    const retryAfterSeconds = Math.max(...waits);
    if (retryAfterSeconds <= 0) return { allowed: true, attemptId: attempt.id };
    await this.db
      .updateTable('login_attempts')
      .set({ outcome: 'throttled' })
      .where('id', '=', attempt.id)
      .execute();
    return { allowed: false, retryAfterSeconds };
  }

  /** The attempt succeeded: it, and the email's failures before it, no longer count. */
  async succeeded(attemptId: string, email: string): Promise<void> {
    await this.db
      .updateTable('login_attempts')
      .set({ outcome: 'succeeded' })
      .where('id', '=', attemptId)
      .execute();
    await this.db
      .updateTable('login_attempts')
      .set({ outcome: 'cleared' })
      .where('email', '=', email)
      .where('outcome', '=', 'failed')
      .execute();
  }

  /**
   * 0 when fewer than `limit` failures are in the window; otherwise the seconds until the
   * `limit`-th newest of them leaves it, which is when an attempt is allowed again.
   */
  private async secondsUntilAllowed(
    column: 'email' | 'ip',
    value: string,
    limit: number,
    ownId: string,
  ): Promise<number> {
    const windowSeconds = this.limits.windowMs / 1000;
    const failures = await this.db
      .selectFrom('login_attempts')
      .select(
        sql<number>`extract(epoch from created_at + make_interval(secs => ${windowSeconds}) - clock_timestamp())`.as(
          'remaining',
        ),
      )
      .where(column, '=', value)
      .where('outcome', '=', 'failed')
      .where('id', '<>', ownId)
      .where('created_at', '>', sql<Date>`clock_timestamp() - make_interval(secs => ${windowSeconds})`)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    if (failures.length < limit) return 0;
    const remaining = Number(failures[limit - 1]?.remaining ?? 0);
    return Math.max(1, Math.ceil(remaining));
  }
}
