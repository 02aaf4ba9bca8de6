import type { Kysely } from 'kysely';

/**
 * Erasure of a beneficiary's personal data (their right under the Saudi Personal Data Protection
 * Law): the rows stay, so counts, statuses and satisfaction figures still add up, but what
 * identifies the person is overwritten, and `erased_at` says so to staff and reports.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('contacts').addColumn('erased_at', 'timestamptz').execute();
  await db.schema.alterTable('support_requests').addColumn('erased_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('support_requests').dropColumn('erased_at').execute();
  await db.schema.alterTable('contacts').dropColumn('erased_at').execute();
}
