import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import {
  createPostgresBackend,
  DEFAULT_SCHEMA,
  type PostgresConnectionOptions,
  type Processor,
  Queue,
  type QueueOptions,
  runMigrations,
  Worker,
  type WorkerOptions,
  withBackend,
} from 'bullmq';
import { Redis } from 'ioredis';
import { PG_COMPATIBLE_PARSERS, PGlitePool } from './pglite-pool.js';

export type JobBackendKind = 'redis' | 'postgres' | 'pglite';

/** Queue and Worker constructors bound to one backend and its connection. */
export interface JobBackend {
  kind: JobBackendKind;
  /** Where jobs live, without credentials (for the start-up log). */
  location: string;
  createQueue(name: string, options?: Omit<QueueOptions, 'connection'>): Queue;
  createWorker(name: string, process: Processor, options?: Omit<WorkerOptions, 'connection'>): Worker;
  close(): Promise<void>;
}

export interface JobBackendOptions {
  /** REDIS_URL: BullMQ on Redis (production and scale-out). */
  redisUrl?: string | undefined;
  /** Redis key prefix (tests give each suite its own; BullMQ's default is "bull"). */
  prefix?: string;
  /** DATABASE_URL: BullMQ's own PostgreSQL backend, so a Postgres-only deployment needs no Redis. */
  databaseUrl?: string | undefined;
  /** PostgreSQL schema for BullMQ's tables (tests give each suite its own). */
  schema?: string;
  /**
   * Neither URL: BullMQ's PostgreSQL backend on an embedded PGlite kept in this folder
   * (`memory://` for none), so the embedded default needs no server at all.
   */
  embeddedDataDir?: string;
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port}${parsed.pathname}`;
}

/**
 * Opens the job backend: BullMQ on Redis when REDIS_URL is set, else BullMQ on the PostgreSQL of
 * DATABASE_URL, else BullMQ on an embedded PGlite. BullMQ in every case; only the storage differs.
 */
export async function openJobBackend(options: JobBackendOptions): Promise<JobBackend> {
  if (!options.redisUrl && !options.databaseUrl && options.embeddedDataDir) {
    return openEmbeddedBackend(options.embeddedDataDir);
  }
  return openServerBackend(options);
}

/**
 * BullMQ's PostgreSQL backend on a PGlite of its own, through an in-process pool (PGlitePool).
 *
 * Its own instance, not the app's: PGlite is one session, so sharing it would let BullMQ's
 * statements land inside the app's open transactions (and the other way round) and mix BullMQ's
 * search_path into ours. Job state and app state need no common transaction: follow-ups are
 * rows in the app's database, and delivery is idempotent per message.
 */
async function openEmbeddedBackend(dataDir: string): Promise<JobBackend> {
  const inMemory = dataDir.startsWith('memory://');
  const location = inMemory ? dataDir : resolve(dataDir);
  if (!inMemory) await mkdir(location, { recursive: true });
  const options = { parsers: PG_COMPATIBLE_PARSERS };
  const database = inMemory ? new PGlite(options) : new PGlite(location, options);
  // BullMQ expects a pool it did not build to come with its schema on the search path.
  await database.exec(
    `create schema if not exists ${DEFAULT_SCHEMA}; set search_path to ${DEFAULT_SCHEMA}, public`,
  );
  const pool = new PGlitePool(database);
  // BullMQ migrates only pools it builds itself; this one is ours, so migrate it here.
  const session = await pool.connect();
  try {
    await runMigrations(session, DEFAULT_SCHEMA);
  } finally {
    session.release();
  }
  const { Queue: PgQueue, Worker: PgWorker } = withBackend(createPostgresBackend);
  const opened: Array<{ close(): Promise<void> }> = [];
  const connection = pool as unknown as PostgresConnectionOptions;
  return {
    kind: 'pglite',
    location,
    createQueue: (name, queueOptions = {}) => {
      const queue = new PgQueue(name, { ...queueOptions, connection });
      opened.push(queue);
      return queue as unknown as Queue;
    },
    createWorker: (name, process, workerOptions = {}) => {
      const worker = new PgWorker(name, process, { ...workerOptions, connection });
      opened.push(worker);
      return worker as unknown as Worker;
    },
    async close() {
      await Promise.all(opened.map((item) => item.close()));
      await database.close();
    },
  };
}

function openServerBackend(options: JobBackendOptions): JobBackend {
  if (options.redisUrl) {
    // BullMQ's workers block on Redis: they need a connection that retries forever.
    const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    const prefix = options.prefix ? { prefix: options.prefix } : {};
    const opened: Array<Queue | Worker> = [];
    return {
      kind: 'redis',
      location: withoutCredentials(options.redisUrl),
      createQueue: (name, queueOptions = {}) => {
        const queue = new Queue(name, { ...queueOptions, connection, ...prefix });
        opened.push(queue);
        return queue;
      },
      createWorker: (name, process, workerOptions = {}) => {
        const worker = new Worker(name, process, { ...workerOptions, connection, ...prefix });
        opened.push(worker);
        return worker;
      },
      async close() {
        await Promise.all(opened.map((item) => item.close()));
        await connection.quit();
      },
    };
  }
  if (options.databaseUrl) {
    const { Queue: PgQueue, Worker: PgWorker } = withBackend(createPostgresBackend);
    // BullMQ keeps its own versioned tables in the schema; `migrate` brings them up to date on connect.
    const connection = {
      connectionString: options.databaseUrl,
      migrate: true,
      ...(options.schema ? { schema: options.schema } : {}),
    };
    const opened: Array<{ close(): Promise<void> }> = [];
    return {
      kind: 'postgres',
      location: withoutCredentials(options.databaseUrl),
      createQueue: (name, queueOptions = {}) => {
        const queue = new PgQueue(name, { ...queueOptions, connection });
        opened.push(queue);
        return queue as unknown as Queue;
      },
      createWorker: (name, process, workerOptions = {}) => {
        const worker = new PgWorker(name, process, { ...workerOptions, connection });
        opened.push(worker);
        return worker as unknown as Worker;
      },
      async close() {
        await Promise.all(opened.map((item) => item.close()));
      },
    };
  }
  throw new Error('no job backend: set REDIS_URL or DATABASE_URL');
}
