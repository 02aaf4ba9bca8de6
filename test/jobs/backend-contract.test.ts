import { randomBytes } from 'node:crypto';
import type { Job } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JobBackend, type JobBackendKind, openJobBackend } from '../../src/jobs/backend.js';
import { TEST_DATABASE_URL } from '../support/databases.js';

const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const BACKENDS: JobBackendKind[] = (process.env.TEST_JOB_BACKENDS ?? 'redis,postgres,pglite')
  .split(',')
  .filter((name): name is JobBackendKind => ['redis', 'postgres', 'pglite'].includes(name));

/** Resolves when `count` jobs have completed on the worker, with the jobs' data in order. */
function completions<T>(count: number, timeoutMs = 15_000) {
  const seen: T[] = [];
  let resolve!: (value: T[]) => void;
  const done = new Promise<T[]>((r) => {
    resolve = r;
  });
  const timer = setTimeout(() => resolve(seen), timeoutMs);
  return {
    done,
    record(value: T) {
      seen.push(value);
      if (seen.length >= count) {
        clearTimeout(timer);
        resolve(seen);
      }
    },
  };
}

/** One suite, every backend: what the queue layer promises does not depend on where jobs live. */
describe.each(BACKENDS)('job backend contract on %s', { timeout: 60_000 }, (kind) => {
  let backend: JobBackend;
  const schema = `jobs_${randomBytes(5).toString('hex')}`;
  const queueName = () => `test-${randomBytes(5).toString('hex')}`;

  beforeAll(async () => {
    backend = await openJobBackend(
      kind === 'redis'
        ? { redisUrl: TEST_REDIS_URL }
        : kind === 'postgres'
          ? { databaseUrl: TEST_DATABASE_URL, schema }
          : { embeddedDataDir: 'memory://' },
    );
  });
  afterAll(async () => {
    await backend.close();
    if (kind === 'postgres') {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    }
  });

  it('runs a job once, with its data', async () => {
    const name = queueName();
    const queue = backend.createQueue(name);
    const runs = completions<{ n: number }>(1);
    backend.createWorker(name, async (job: Job) => runs.record(job.data));
    await queue.add('deliver', { n: 1 });
    expect(await runs.done).toEqual([{ n: 1 }]);
  });

  it('recognises a job id added twice (an idempotency key): one run', async () => {
    const name = queueName();
    const queue = backend.createQueue(name);
    await queue.add('deliver', { n: 1 }, { jobId: 'message-42' });
    await queue.add('deliver', { n: 2 }, { jobId: 'message-42' });
    const runs = completions<{ n: number }>(2, 2500);
    backend.createWorker(name, async (job: Job) => runs.record(job.data));
    expect(await runs.done).toEqual([{ n: 1 }]);
  });

  it('runs a delayed job at its time and not before', async () => {
    const name = queueName();
    const queue = backend.createQueue(name);
    const ranAt = completions<number>(1);
    backend.createWorker(name, async () => ranAt.record(Date.now()));
    const addedAt = Date.now();
    await queue.add('follow-up', {}, { delay: 1500 });
    const [at] = await ranAt.done;
    expect(at).toBeDefined();
    expect((at as number) - addedAt).toBeGreaterThanOrEqual(1400);
  });

  it('retries a failing job with backoff until it succeeds', async () => {
    const name = queueName();
    const queue = backend.createQueue(name);
    const attempts: number[] = [];
    const done = completions<number>(1);
    backend.createWorker(name, async (job: Job) => {
      attempts.push(job.attemptsMade);
      if (attempts.length < 3) throw new Error('channel answered 502');
      done.record(attempts.length);
    });
    await queue.add('deliver', {}, { attempts: 5, backoff: { type: 'exponential', delay: 100 } });
    expect(await done.done).toEqual([3]);
  });
});
