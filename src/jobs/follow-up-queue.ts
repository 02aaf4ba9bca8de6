import type { Job, JobsOptions, Queue, Worker } from 'bullmq';
import type { Kysely } from 'kysely';
import type { ChannelName } from '../channels/types.js';
import type { Clock } from '../clock.js';
import { type Logger, safeError } from '../logger.js';
import { scheduledFollowUps } from '../storage/repositories/follow-ups.js';
import { type Database, FOLLOW_UP_KINDS, type FollowUp, type FollowUpKind } from '../storage/schema.js';
import type { JobBackend } from './backend.js';
import type { FollowUpRunner } from './follow-up-runner.js';

export const FOLLOW_UP_QUEUE = 'follow-ups';

interface FollowUpJob {
  followUpId: string;
}

export interface FollowUpQueueOptions {
  db: Kysely<Database>;
  jobs: JobBackend;
  runner: FollowUpRunner;
  clock: Clock;
  logger: Logger;
  /** Hands a conversation's new messages (`messageIds`), on `channel`, to outbound delivery. */
  deliver(
    conversationId: string,
    channel: ChannelName,
    batchKey: string,
    messageIds: string[],
  ): Promise<void>;
}

/** One job per follow-up and due time: queuing it again (a resync) is a no-op. */
const jobIdOf = (followUp: FollowUp) => `followup-${followUp.id}-${followUp.due_at.getTime()}`;

/**
 * A follow-up job's options: named by its row and due time (see jobIdOf), delayed until due,
 * retried with exponential backoff, kept a month when it failed. Exported for bench:jobs, whose
 * bare workers run jobs queued exactly as these are.
 */
export function followUpJobOptions(jobId: string, delayMs: number): JobsOptions {
  return {
    jobId,
    delay: Math.max(0, delayMs),
    attempts: 8,
    backoff: { type: 'exponential', delay: 5000 },
    removeOnComplete: true,
    removeOnFail: { age: 30 * 24 * 3600 },
  };
}

/**
 * Times follow-ups with BullMQ delayed jobs. The follow-up rows are the truth (written with the
 * change that called for them); a job only says «look at this one now». A resync at start-up
 * re-queues any row whose job was lost, so nothing scheduled is ever forgotten.
 */
export class FollowUpQueue {
  /** The BullMQ queue itself, for Bull Board. */
  readonly queue: Queue;
  private worker: Worker | undefined;

  constructor(private readonly options: FollowUpQueueOptions) {
    this.queue = options.jobs.createQueue(FOLLOW_UP_QUEUE);
  }

  async enqueue(followUps: readonly FollowUp[]): Promise<void> {
    const now = this.options.clock.now().getTime();
    await Promise.all(
      followUps.map((followUp) =>
        this.queue.add(
          followUp.kind,
          { followUpId: followUp.id } satisfies FollowUpJob,
          followUpJobOptions(jobIdOf(followUp), followUp.due_at.getTime() - now),
        ),
      ),
    );
  }

  /** `concurrency`: follow-ups run at once (FOLLOW_UP_CONCURRENCY). */
  start(concurrency: number): void {
    if (this.worker) return;
    this.worker = this.options.jobs.createWorker(
      FOLLOW_UP_QUEUE,
      async (job: Job<FollowUpJob>) => {
        // The job's name is the follow-up's kind (enqueue): it tells the runner which way to go.
        const kind = (FOLLOW_UP_KINDS as readonly string[]).includes(job.name)
          ? (job.name as FollowUpKind)
          : undefined;
        const run = await this.options.runner.run(job.data.followUpId, kind);
        if (run.postponed) {
          // Same time as this job's: it woke early (clocks differ); BullMQ retries it shortly.
          if (jobIdOf(run.postponed) === job.id) throw new Error('follow-up job ran before its time');
          await this.enqueue([run.postponed]);
        }
        const first = run.replies[0];
        if (run.conversationId && first) {
          await this.options.deliver(
            run.conversationId,
            first.channel,
            `followup-${job.data.followUpId}`,
            run.replies.map((reply) => reply.id),
          );
        }
        return run.outcome;
      },
      { concurrency },
    );
    this.worker.on('failed', (job, error) => {
      this.options.logger.error({ err: safeError(error), jobId: job?.id }, 'follow-up job failed');
    });
  }

  /** Re-queues every scheduled follow-up (idempotent): after a restart, after a lost job. */
  async resync(): Promise<number> {
    const far = new Date(this.options.clock.now().getTime() + 100 * 365 * 86_400_000);
    let total = 0;
    for (;;) {
      const batch = await scheduledFollowUps(this.options.db, far, 1000, total);
      await this.enqueue(batch);
      total += batch.length;
      if (batch.length < 1000) return total;
    }
  }

  /**
   * Runs now every follow-up the clock says is due (the simulator's `advance`): promotes their
   * delayed jobs, and resolves once the rows are handled.
   */
  async runDue(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const due = await scheduledFollowUps(this.options.db, this.options.clock.now(), 1000);
      if (due.length === 0) return;
      if (Date.now() > deadline) throw new Error(`${due.length} follow-ups did not run in time`);
      for (const followUp of due) {
        const job = await this.queue.getJob(jobIdOf(followUp));
        if (!job) await this.enqueue([followUp]);
        else if (await job.isDelayed()) await job.promote().catch(() => undefined);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Stops taking work and waits for the follow-ups in flight. */
  async stop(): Promise<void> {
    await this.worker?.close();
    this.worker = undefined;
  }
}
