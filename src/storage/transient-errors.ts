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
