import {
  createPostgresBackend,
  type Processor,
  Queue,
  type QueueOptions,
  Worker,
  type WorkerOptions,
  withBackend,
} from 'bullmq';
import { Redis } from 'ioredis';

export type JobBackendKind = 'redis' | 'postgres';

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
  /** DATABASE_URL: BullMQ's own PostgreSQL backend, so a Postgres-only deployment needs no Redis. */
  databaseUrl?: string | undefined;
  /** PostgreSQL schema for BullMQ's tables (tests give each suite its own). */
  schema?: string;
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port}${parsed.pathname}`;
}

/**
 * Opens the job backend: BullMQ on Redis when REDIS_URL is set, else BullMQ on the PostgreSQL of
 * DATABASE_URL. BullMQ in both cases; only the storage differs.
 */
export function openJobBackend(options: JobBackendOptions): JobBackend {
  if (options.redisUrl) {
    // BullMQ's workers block on Redis: they need a connection that retries forever.
    const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    const opened: Array<Queue | Worker> = [];
    return {
      kind: 'redis',
      location: withoutCredentials(options.redisUrl),
      createQueue: (name, queueOptions = {}) => {
        const queue = new Queue(name, { ...queueOptions, connection });
        opened.push(queue);
        return queue;
      },
      createWorker: (name, process, workerOptions = {}) => {
        const worker = new Worker(name, process, { ...workerOptions, connection });
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
