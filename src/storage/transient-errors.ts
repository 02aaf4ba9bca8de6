import { isStalePreparedStatement } from './statement-cache.js';

/**
 * Errors after which a transaction can simply be run again: PostgreSQL chose it as a deadlock's
 * victim (40P01) or a serialization failure (40001), or a prepared statement went stale. The
 * transaction rolled back whole, so nothing of it was kept.
 */
export function isTransientTransactionError(error: unknown): boolean {
  if (isStalePreparedStatement(error)) return true;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === '40P01' || code === '40001';
}

/** Tries a whole transaction gets when the database asks for it again (isTransientTransactionError). */
const TRANSIENT_ATTEMPTS = 3;

/**
 * Runs `transaction` (a function that runs one whole transaction) again while the database asks
 * for it (a deadlock's victim, a serialization failure, a stale prepared statement), up to three
 * tries; any other error, or the last one, is thrown.
 */
export async function runAgainIfTransient<T>(transaction: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (attempt >= TRANSIENT_ATTEMPTS || !isTransientTransactionError(error)) throw error;
    }
  }
}
