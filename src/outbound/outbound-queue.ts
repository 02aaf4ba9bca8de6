import type { Job, JobsOptions, Queue, Worker } from 'bullmq';
import type { Kysely } from 'kysely';
import type { ChannelAdapter, ChannelName } from '../channels/types.js';
import type { JobBackend } from '../jobs/backend.js';
import { type Logger, safeError } from '../logger.js';
import type { Database } from '../storage/schema.js';
import type { OutboundDispatcher } from './dispatcher.js';

export const OUTBOUND_QUEUE = 'outbound';

export interface DeliverJob {
  conversationId: string;
  /** The batch's messages: a job whose batch already went out with an earlier one ends at once. */
  messageIds?: string[];
}

export interface OutboundQueueOptions {
  db: Kysely<Database>;
  jobs: JobBackend;
  dispatcher: OutboundDispatcher;
  logger: Logger;
  /** Deliveries run at once in this process (each conversation still one at a time). */
  concurrency: number;
  /** First retry delay of a batch that could not be delivered; doubles on every attempt. */
  retryDelayMs?: number;
}

/** A batch that cannot go out yet: BullMQ retries it with exponential backoff. */
class DeliveryDeferred extends Error {
  override readonly name = 'DeliveryDeferred';
}

/**
 * A delivery job's options: keyed by its batch (queued twice, it runs once), retried with
 * exponential backoff, kept a week when it failed. Exported for bench:jobs, whose bare workers
 * run jobs queued exactly as these are.
 */
export function deliveryJobOptions(batchKey?: string, retryDelayMs = 1000): JobsOptions {
  return {
    ...(batchKey ? { jobId: `batch-${batchKey}` } : {}),
    attempts: 12,
    backoff: { type: 'exponential', delay: retryDelayMs },
    removeOnComplete: true,
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/**
 * Outbound delivery as BullMQ jobs: one job per batch of replies, keyed by the batch's first
 * message, so enqueuing the same batch twice (a retried request, a sweep) runs it once. The job
 * hands the conversation to the dispatcher, which delivers everything pending in order under
 * the conversation's lease; a batch that keeps failing is retried with exponential backoff, and
 * a periodic sweep re-enqueues anything still pending (after a crash, or a channel back up).
 */
export class OutboundQueue {
  /** The BullMQ queue itself, for Bull Board. */
  readonly queue: Queue;
  private worker: Worker | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: OutboundQueueOptions) {
    this.queue = options.jobs.createQueue(OUTBOUND_QUEUE);
  }

  register(adapter: ChannelAdapter): void {
    this.options.dispatcher.register(adapter);
  }

  /**
   * Queues delivery of a conversation's pending messages; `batchKey` makes it idempotent. The job
   * delivers everything pending in the conversation; `messageIds` (the batch) only lets it skip
   * the database when those went out already.
   */
  async deliverConversation(
    conversationId: string,
    batchKey?: string,
    messageIds: readonly string[] = [],
  ): Promise<void> {
    const data: DeliverJob = {
      conversationId,
      ...(messageIds.length > 0 ? { messageIds: [...messageIds] } : {}),
    };
    await this.queue.add('deliver', data, deliveryJobOptions(batchKey, this.options.retryDelayMs));
  }

  /**
   * Delivers a batch stored by a job that is running now (a follow-up). Where this process has
   * the channel it goes out at once, within that job, rather than as a second job — the same
   * dispatcher, lease, order and rate limit, with one job's queue traffic fewer. A batch that
   * cannot go out yet, or a channel that lives in another process, is queued as usual (retried
   * with backoff); so is any failure here, so nothing waits for the sweep.
   */
  async deliverFromRunningJob(
    conversationId: string,
    channel: ChannelName,
    batchKey: string,
    messageIds: readonly string[] = [],
  ): Promise<void> {
    if (this.worker && this.options.dispatcher.handles(channel)) {
      const outcome = await this.options.dispatcher
        .deliver(conversationId, messageIds)
        .catch((error: unknown) => {
          this.options.logger.warn(
            { err: safeError(error), conversationId },
            'delivery failed; queued instead',
          );
          return 'retry_later' as const;
        });
      if (outcome !== 'retry_later') return;
    }
    await this.deliverConversation(conversationId, batchKey, messageIds);
  }

  /** Starts taking delivery jobs in this process. */
  start(): void {
    if (this.worker) return;
    this.worker = this.options.jobs.createWorker(
      OUTBOUND_QUEUE,
      async (job: Job<DeliverJob>) => {
        const outcome = await this.options.dispatcher.deliver(job.data.conversationId, job.data.messageIds);
        if (outcome === 'retry_later') throw new DeliveryDeferred('a message could not be delivered yet');
      },
      { concurrency: this.options.concurrency },
    );
    this.worker.on('failed', (job, error) => {
      if (error instanceof DeliveryDeferred) return; // Logged per message by the dispatcher.
      this.options.logger.error({ err: safeError(error), jobId: job?.id }, 'delivery job failed');
    });
  }

  /** Queues every conversation that still has messages waiting on a channel of this process. */
  async sweep(): Promise<void> {
    const channels = this.options.dispatcher.channels();
    if (channels.length === 0) return;
    const rows = await this.options.db
      .selectFrom('messages')
      .select('conversation_id')
      .distinct()
      .where('direction', '=', 'out')
      .where('delivery_status', '=', 'pending')
      .where('channel', 'in', channels)
      .execute();
    const round = Math.floor(Date.now() / 10_000);
    await Promise.all(
      rows.map((row) =>
        this.deliverConversation(row.conversation_id, `sweep-${row.conversation_id}-${round}`),
      ),
    );
  }

  startSweeping(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.sweep().catch((error: unknown) => {
        this.options.logger.warn({ err: safeError(error) }, 'outbound sweep failed');
      });
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops taking work and waits for the deliveries in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.worker?.close();
    this.worker = undefined;
  }
}
