import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type Dialect, Kysely, PostgresDialect } from 'kysely';
import { KyselyPGlite } from 'kysely-pglite';
import pg from 'pg';
import { claimDataDir } from './data-dir-lock.js';
import { deferBegin } from './deferred-begin.js';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';
import { SerializedDriver } from './serialized-driver.js';
import { StatementNamer } from './statement-cache.js';

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** Where the data lives, without credentials (for the start-up log line). */
  location: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL connection string; without it the embedded PGlite is used. */
  databaseUrl?: string | undefined;
  /** PGlite data folder; `memory://` keeps everything in memory (the simulator, tests). */
  dataDir?: string;
  /** PostgreSQL schema to work in (tests give every file its own). */
  schema?: string;
  /** Pool size for PostgreSQL. */
  maxConnections?: number;
  /** Run migrations on open (the default). */
  migrate?: boolean;
  /**
   * PostgreSQL: run repeated statements as named prepared statements (the default). Off for a
   * pooler that cannot keep them (PgBouncer in transaction mode before 1.21).
   */
  preparedStatements?: boolean;
}

/** Wraps a dialect so its driver is serialized (see SerializedDriver). */
function serialized(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createDriver: () => new SerializedDriver(dialect.createDriver()),
  };
}

function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `postgres://${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

/**
 * Opens the database: PostgreSQL through `pg` when a URL is given, else the embedded PGlite in
 * `dataDir`. Same schema, same migrations, same queries; only the driver differs.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.maxConnections ?? 10,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    const namer = options.preparedStatements === false ? undefined : new StatementNamer();
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: deferBegin(pool, namer) }) });
    if (options.schema) await db.schema.createSchema(options.schema).ifNotExists().execute();
    handle = { db, kind: 'postgres', location: describeUrl(options.databaseUrl), close: () => db.destroy() };
  } else {
    const dataDir = options.dataDir ?? './data';
    const inMemory = dataDir.startsWith('memory://');
    const location = inMemory ? dataDir : resolve(dataDir);
    let release = async () => {};
    if (!inMemory) {
      await mkdir(location, { recursive: true });
      release = await claimDataDir(location);
    }
    const client = inMemory ? new PGlite() : new PGlite(location);
    const { dialect } = new KyselyPGlite(client);
    const db = new Kysely<Database>({ dialect: serialized(dialect) });
    handle = {
      db,
      kind: 'pglite',
      location,
      close: async () => {
        await db.destroy();
        await release();
      },
    };
  }
  try {
    if (options.migrate !== false) await migrateToLatest(handle.db as Kysely<unknown>, options.schema);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  return handle;
}
