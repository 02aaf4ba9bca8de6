import { type Kysely, type Migration, type MigrationResult, Migrator } from 'kysely';
import * as initial from './migrations/001-initial.js';
import * as inputHints from './migrations/002-input-hints.js';
import * as followUps from './migrations/003-follow-ups.js';
import * as staff from './migrations/004-staff.js';
import * as handoffSla from './migrations/005-handoff-sla.js';
import * as erasure from './migrations/006-erasure.js';
import * as webChatLimits from './migrations/007-web-chat-limits.js';

/**
 * Every migration, in order. A static list (not a folder scan) so that the built `dist/` and
 * `tsx` runs see exactly the same set, and a bundler cannot drop one.
 */
const MIGRATIONS: Record<string, Migration> = {
  '001-initial': initial,
  '002-input-hints': inputHints,
  '003-follow-ups': followUps,
  '004-staff': staff,
  '005-handoff-sla': handoffSla,
  '006-erasure': erasure,
  '007-web-chat-limits': webChatLimits,
};

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** How often migrating is tried again when another schema vanished under Kysely's look-up. */
const SCHEMA_RACE_ATTEMPTS = 6;

/**
 * Kysely's migrator checks for its bookkeeping tables by listing the tables of every schema in
 * the database; a schema dropped by someone else meanwhile (other apps, parallel test suites
 * sharing one database) makes that listing fail with 3F000, "schema … does not exist". Nothing
 * has run then (the migrations come after), so trying again is safe.
 */
function isVanishedSchema(error: unknown, ours: string | undefined): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : '';
  return code === '3F000' && !(ours && message.includes(`"${ours}"`));
}

/** Brings the schema up to date; returns what ran, or throws naming the migration that failed. */
export async function migrateToLatest(db: Kysely<unknown>, schema?: string): Promise<MigrationResult[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    // Kysely looks for its bookkeeping tables in every schema unless told which one is ours.
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  let outcome = await migrator.migrateToLatest();
  for (let attempt = 1; attempt < SCHEMA_RACE_ATTEMPTS && outcome.error; attempt++) {
    const setupFailed = !(outcome.results ?? []).some((result) => result.status === 'Error');
    if (!setupFailed || !isVanishedSchema(outcome.error, schema)) break;
    await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
    outcome = await migrator.migrateToLatest();
  }
  const { error, results = [] } = outcome;
  if (error) {
    const failed = results.find((result) => result.status === 'Error');
    const cause = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`migration ${failed?.migrationName ?? '(setup)'} failed: ${cause}`, {
      cause: error,
    });
  }
  return results;
}
