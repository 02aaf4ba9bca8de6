import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type DatabaseHandle, type DatabaseKind, openDatabase } from '../../src/storage/database.js';

/**
 * The databases every storage-touching suite runs on, narrowed with TEST_DIALECTS
 * (e.g. `TEST_DIALECTS=pglite npm test` when no PostgreSQL is around).
 */
export const DIALECTS: DatabaseKind[] = (process.env.TEST_DIALECTS ?? 'pglite,postgres')
  .split(',')
  .map((name) => name.trim())
  .filter((name): name is DatabaseKind => name === 'pglite' || name === 'postgres');

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  handle: DatabaseHandle;
  /** The PostgreSQL schema the database lives in (undefined on PGlite). */
  schema: string | undefined;
  /** Options to open another handle on the same data (a second "process"). */
  reopen(): Promise<DatabaseHandle>;
  drop(): Promise<void>;
}

/**
 * A database of its own for one test file: a fresh in-memory PGlite, or a fresh schema in the
 * PostgreSQL test database (dropped afterwards), so suites never see each other's rows.
 */
export async function openTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const handle = await openDatabase({ dataDir: 'memory://' });
    return { handle, schema: undefined, reopen: async () => handle, drop: () => handle.close() };
  }
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const handle = await openDatabase({ databaseUrl: TEST_DATABASE_URL, schema });
  const others: DatabaseHandle[] = [];
  return {
    handle,
    schema,
    reopen: async () => {
      const other = await openDatabase({ databaseUrl: TEST_DATABASE_URL, schema, migrate: false });
      others.push(other);
      return other;
    },
    drop: async () => {
      await Promise.all([handle, ...others].map((h) => h.close()));
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}
