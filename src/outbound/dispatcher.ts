import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { ChannelSendError } from '../channels/send-error.js';
import type { ChannelAdapter, ChannelName, OutboundMessage } from '../channels/types.js';
import { type Logger, safeError } from '../logger.js';
import {
  acquireDeliveryLease,
  releaseDeliveryLease,
  renewDeliveryLease,
} from '../storage/repositories/delivery-leases.js';
import type { Database } from '../storage/schema.js';

export interface DispatcherOptions {
  db: Kysely<Database>;
  logger: Logger;
  /** Transient failures retried this many times in a row before waiting for the next sweep. */
  maxAttempts?: number;
  /** First backoff delay; doubles on every retry. */
  baseDelayMs?: number;
  /** Longest wait honoured for a channel's retry-after. */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** How long a deliverer may go without renewing its lease on a conversation. */
  leaseMs?: number;
}

/**
 * How one delivery pass ended: everything that could go went (`delivered`); a message keeps
 * failing and its later messages wait behind it (`retry_later`); another deliverer holds the
 * conversation and will take these messages too (`busy`).
 */
export type DeliveryOutcome = 'delivered' | 'retry_later' | 'busy';

/** A channel that keeps answering 429 is left for the next sweep after this many waits. */
const MAX_RATE_LIMIT_WAITS = 10;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Delivers the bot's stored replies to the beneficiary's channel, in order within a
 * conversation: each message is marked sent once the channel accepted it. A rate limit waits
 * for the channel's retry-after; a blocked bot marks the identity unreachable and stops sending
 * to it; other failures back off and retry, and what is still pending is picked up by the next
 * sweep (at start-up after a crash, and periodically).
 *
 * One deliverer per conversation at a time, across processes: a lease row in the database (a
 * crashed holder's lease runs out). The message id travels with every send as its idempotency
 * key, so a channel that honours one never shows a retried message twice.
 */
export class OutboundDispatcher {
  private readonly adapters = new Map<ChannelName, ChannelAdapter>();
  private readonly chains = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: DispatcherOptions) {
    this.sleep = options.sleep ?? defaultSleep;
  }

  register(adapter: ChannelAdapter): void {
    this.adapters.set(adapter.channel, adapter);
  }

  /** Delivers a conversation's pending replies; calls for one conversation run one after another. */
  deliverConversation(conversationId: string): Promise<void> {
    const previous = this.chains.get(conversationId) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        await this.deliver(conversationId);
      })
      .catch((error: unknown) => {
        this.options.logger.error({ err: safeError(error), conversationId }, 'outbound delivery failed');
      });
    this.chains.set(conversationId, next);
    void next.finally(() => {
      if (this.chains.get(conversationId) === next) this.chains.delete(conversationId);
    });
    return next;
  }

  /** Delivers everything still pending on the registered channels. */
  async sweep(): Promise<void> {
    const channels = [...this.adapters.keys()];
    if (channels.length === 0) return;
    const rows = await this.options.db
      .selectFrom('messages')
      .select('conversation_id')
      .distinct()
      .where('direction', '=', 'out')
      .where('delivery_status', '=', 'pending')
      .where('channel', 'in', channels)
      .execute();
    await Promise.all(rows.map((row) => this.deliverConversation(row.conversation_id)));
  }

  startSweeping(intervalMs: number): void {
    this.timer = setInterval(() => void this.sweep(), intervalMs);
    this.timer.unref();
  }

  /** Stops sweeping and waits for deliveries in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.chains.values()]);
  }

  private async pending(conversationId: string) {
    return this.options.db
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .innerJoin('channel_identities', 'channel_identities.id', 'conversations.identity_id')
      .select([
        'messages.id',
        'messages.conversation_id',
        'messages.channel',
        'messages.text',
        'messages.choices',
        'messages.flow_id',
        'messages.node_id',
        'messages.input_hint',
        'channel_identities.id as identity_id',
        'channel_identities.external_id',
        'channel_identities.unreachable_at',
      ])
      .where('messages.conversation_id', '=', conversationId)
      .where('messages.direction', '=', 'out')
      .where('messages.delivery_status', '=', 'pending')
      .orderBy('messages.created_at')
      .orderBy('messages.position')
      .execute();
  }

  /** Channels this process can deliver on. */
  channels(): ChannelName[] {
    return [...this.adapters.keys()];
  }

  /** Whether a channel can deliver now (registered in this process). */
  handles(channel: ChannelName): boolean {
    return this.adapters.has(channel);
  }

  /**
   * One delivery pass over a conversation, under its lease. The lease is released before a last
   * look for messages stored meanwhile: a deliverer that found the lease taken just before the
   * release has left its messages for this look, so none is stranded.
   */
  async deliver(conversationId: string): Promise<DeliveryOutcome> {
    const leaseMs = this.options.leaseMs ?? 60_000;
    const holder = randomUUID();
    for (let pass = 0; ; pass++) {
      if (!(await acquireDeliveryLease(this.options.db, conversationId, holder, leaseMs))) {
        return pass === 0 ? 'busy' : 'delivered';
      }
      let outcome: 'drained' | 'stuck';
      try {
        outcome = await this.drain(conversationId, holder, leaseMs);
      } finally {
        await releaseDeliveryLease(this.options.db, conversationId, holder);
      }
      if (outcome === 'stuck') return 'retry_later';
      if (!(await this.hasDeliverable(conversationId))) return 'delivered';
    }
  }

  private async hasDeliverable(conversationId: string): Promise<boolean> {
    const channels = [...this.adapters.keys()];
    if (channels.length === 0) return false;
    const row = await this.options.db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', conversationId)
      .where('direction', '=', 'out')
      .where('delivery_status', '=', 'pending')
      .where('channel', 'in', channels)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  private async drain(conversationId: string, holder: string, leaseMs: number): Promise<'drained' | 'stuck'> {
    for (const row of await this.pending(conversationId)) {
      const adapter = this.adapters.get(row.channel);
      if (!adapter) return 'drained'; // The channel is off here: keep the messages for when it is back.
      // A lease lost (this pass took longer than the lease) means another deliverer took over.
      if (!(await renewDeliveryLease(this.options.db, conversationId, holder, leaseMs))) return 'drained';
      if (row.unreachable_at) {
        await this.markFailed(row.id, 'recipient unreachable');
        continue;
      }
      const message: OutboundMessage = {
        id: row.id,
        conversationId: row.conversation_id,
        channel: row.channel,
        externalUserId: row.external_id,
        text: row.text,
        choices: row.choices,
        flowId: row.flow_id,
        nodeId: row.node_id,
        input: row.input_hint,
      };
      const outcome = await this.sendWithRetries(adapter, message);
      if (outcome === 'sent') await this.markSent(row.id);
      else if (outcome === 'unreachable') {
        // Nothing more goes to this person until they write again.
        await this.markUnreachable(row.identity_id);
        await this.options.db
          .updateTable('messages')
          .set({ delivery_status: 'failed', delivery_error: 'recipient unreachable' })
          .where('conversation_id', '=', conversationId)
          .where('direction', '=', 'out')
          .where('delivery_status', '=', 'pending')
          .execute();
        return 'drained';
      } else if (outcome === 'permanent') await this.markFailed(row.id, 'refused by the channel');
      // Still failing: stop here so later replies do not overtake this one; retried later.
      else return 'stuck';
    }
    return 'drained';
  }

  private async sendWithRetries(
    adapter: ChannelAdapter,
    message: OutboundMessage,
  ): Promise<'sent' | 'unreachable' | 'permanent' | 'retry_later'> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    const baseDelay = this.options.baseDelayMs ?? 500;
    let rateLimitWaits = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await adapter.send(message);
        return 'sent';
      } catch (error) {
        const kind = error instanceof ChannelSendError ? error.kind : 'transient';
        await this.options.db
          .updateTable('messages')
          .set({
            delivery_attempts: sql`delivery_attempts + 1`,
            delivery_error:
              error instanceof ChannelSendError ? `${error.kind}: ${error.details.code ?? ''}` : 'transport',
          })
          .where('id', '=', message.id)
          .execute();
        this.options.logger.warn(
          {
            err:
              error instanceof ChannelSendError
                ? { kind: error.kind, code: error.details.code }
                : safeError(error),
            channel: message.channel,
            messageId: message.id,
            attempt,
          },
          'outbound message not delivered',
        );
        if (kind === 'unreachable' || kind === 'permanent') return kind;
        if (
          kind === 'rate_limited' &&
          error instanceof ChannelSendError &&
          ++rateLimitWaits <= MAX_RATE_LIMIT_WAITS
        ) {
          // Waiting out a rate limit is not a failure of the message: it does not use up attempts.
          await this.sleep(
            Math.min(error.details.retryAfterMs ?? 1000, this.options.maxRetryAfterMs ?? 60_000),
          );
          attempt--;
          continue;
        }
        if (attempt >= maxAttempts) return 'retry_later';
        await this.sleep(baseDelay * 2 ** (attempt - 1));
      }
    }
  }

  private async markSent(id: string): Promise<void> {
    await this.options.db
      .updateTable('messages')
      .set({ delivery_status: 'sent', sent_at: new Date(), delivery_error: null })
      .where('id', '=', id)
      .execute();
  }

  private async markFailed(id: string, reason: string): Promise<void> {
    await this.options.db
      .updateTable('messages')
      .set({ delivery_status: 'failed', delivery_error: reason })
      .where('id', '=', id)
      .execute();
  }

  private async markUnreachable(identityId: string): Promise<void> {
    await this.options.db
      .updateTable('channel_identities')
      .set({ unreachable_at: new Date() })
      .where('id', '=', identityId)
      .execute();
  }
}
