import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JobBackend, openJobBackend } from '../../src/jobs/backend.js';
import { listenStatement } from '../../src/jobs/pglite-pool.js';

describe('the embedded job backend’s LISTEN', () => {
  it('recognises a (UN)LISTEN behind comments, as BullMQ sends it, and nothing else', () => {
    // BullMQ's listen_jobs.sql, as it reaches the pool.
    const bullmqListen =
      '-- Subscribe to the shared job-notification channel (fixed name keeps this\n' +
      "-- portable). Producers `pg_notify('bullmq_jobs', <queue>)`; a worker filters\n" +
      '-- notifications for its own queue.\nLISTEN bullmq_jobs;\n';
    expect(listenStatement(bullmqListen)).toEqual({ channel: 'bullmq_jobs', stop: false });
    expect(listenStatement('/* events */ LISTEN bullmq_events')).toEqual({
      channel: 'bullmq_events',
      stop: false,
    });
    expect(listenStatement('UNLISTEN *')).toEqual({ channel: '*', stop: true });
    expect(listenStatement('-- wakes a LISTEN\nselect pg_notify($1, $2)')).toBeUndefined();
    expect(listenStatement('select 1')).toBeUndefined();
  });

  describe('a worker on it', { timeout: 30_000 }, () => {
    let backend: JobBackend;
    beforeAll(async () => {
      backend = await openJobBackend({ embeddedDataDir: 'memory://' });
    });
    afterAll(async () => {
      await backend.close();
    });

    it('is woken by the notification of a job added or promoted while it waits, not by its poll', async () => {
      const queue = backend.createQueue('wake-up');
      const processed: string[] = [];
      let onProcessed: () => void = () => undefined;
      // A poll this long would outlast the test: only a notification can wake the worker in time.
      const worker = backend.createWorker(
        'wake-up',
        async (job: Job) => {
          processed.push(job.id as string);
          onProcessed();
        },
        { drainDelay: 60 },
      );
      const next = () =>
        new Promise<void>((resolve) => {
          onProcessed = resolve;
        });
      try {
        await worker.waitUntilReady();
        await new Promise((resolve) => setTimeout(resolve, 500)); // the worker is waiting now
        const added = next();
        await queue.add('now', {}, { jobId: 'added' });
        await added;
        const delayed = await queue.add('later', {}, { jobId: 'promoted', delay: 3_600_000 });
        await new Promise((resolve) => setTimeout(resolve, 500));
        const promoted = next();
        await delayed.promote();
        await promoted;
        expect(processed).toEqual(['added', 'promoted']);
      } finally {
        await worker.close();
        await queue.close();
      }
    });
  });
});
