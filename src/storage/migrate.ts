import {
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Kysely,
  type Migration,
  type MigrationResult,
  Migrator,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from 'kysely';
import * as initial from './migrations/001-initial.js';
import * as inputHints from './migrations/002-input-hints.js';
import * as followUps from './migrations/003-follow-ups.js';
import * as staff from './migrations/004-staff.js';
import * as handoffSla from './migrations/005-handoff-sla.js';
import * as erasure from './migrations/006-erasure.js';
import * as webChatLimits from './migrations/007-web-chat-limits.js';
import * as deliveryLeaseFlag from './migrations/008-delivery-lease-flag.js';
import * as pendingByConversation from './migrations/009-pending-by-conversation.js';
import * as lastInbound from './migrations/010-last-inbound.js';

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
  '008-delivery-lease-flag': deliveryLeaseFlag,
  '009-pending-by-conversation': pendingByConversation,
  '010-last-inbound': lastInbound,
};

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/**
 * What Kysely's migrator asks of `db.introspection`: whether its schema and its bookkeeping
 * tables exist. Kysely's own introspector answers by describing every column of every table in
 * the database, through name look-ups that fail with 3F000 ("schema … does not exist") when
 * another client drops a schema meanwhile (other apps, parallel test suites sharing one
 * database). This one reads only names from the catalog tables, in one snapshot, so a schema
 * dropped during the read is simply listed or not.
 */
class NamesOnlyIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<unknown>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace`.execute(
      this.db,
    );
    return rows;
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; kind: string }>`
      select c.relname as name, n.nspname as schema, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'v', 'm')`.execute(this.db);
    return rows.map((row) => ({ name: row.name, schema: row.schema, isView: row.kind === 'v', columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

/** `db` as the migrator sees it: the same in every way but its introspection (see above). */
function withNamesOnlyIntrospection(db: Kysely<unknown>): Kysely<unknown> {
  const introspection = new NamesOnlyIntrospector(db);
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspection;
      const value = Reflect.get(target, property, target);
      // Kysely's methods use private fields: they must run on the real instance.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Brings the schema up to date; returns what ran, or throws naming the migration that failed. */
export async function migrateToLatest(db: Kysely<unknown>, schema?: string): Promise<MigrationResult[]> {
  const migrator = new Migrator({
    db: withNamesOnlyIntrospection(db),
    provider: { getMigrations: async () => MIGRATIONS },
    // Kysely looks for its bookkeeping tables in every schema unless told which one is ours.
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const outcome = await migrator.migrateToLatest();
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
