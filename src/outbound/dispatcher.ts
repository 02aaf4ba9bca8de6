import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { ChannelSendError } from '../channels/send-error.js';
import type { ChannelAdapter, ChannelName, OutboundMessage } from '../channels/types.js';
import { RecentMap } from '../inbox/recent-map.js';
import { type Logger, safeError } from '../logger.js';
import type { DeliveryMetrics } from '../observability/metrics.js';
import {
  type HeldLease,
  type LeaseAttempt,
  type MessageSettlement,
  type PendingMessage,
  releaseDeliveryLease,
  type Settlement,
} from '../storage/repositories/delivery-leases.js';
import type { Database } from '../storage/schema.js';
import type { StatementBatcher } from '../storage/statement-batcher.js';
import { type LeaseAfterSettlement, leaseBatcher, settlementBatcher } from './delivery-batchers.js';

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
  /** Counts every send attempt by what the channel answered (GET /metrics). */
  metrics?: DeliveryMetrics | undefined;
}

/**
 * How one delivery pass ended: everything that could go went (`delivered`); a message keeps
 * failing and its later messages wait behind it (`retry_later`); another deliverer holds the
 * conversation and will take these messages too (`busy`).
 */
export type DeliveryOutcome = 'delivered' | 'retry_later' | 'busy';

/** A channel that keeps answering 429 is left for the next sweep after this many waits. */
const MAX_RATE_LIMIT_WAITS = 10;
/**
 * Messages this process settled lately, remembered so that a delivery job whose messages went
 * out with an earlier batch ends without a round trip. A job runs seconds after its batch was
 * stored; forgetting one only costs the look in the database.
 */
const SETTLED_MEMORY = 20_000;

/** A delivery pass under way in this process. */
interface RunningPass {
  /** Another call came in meanwhile: go round once more. */
  again: boolean;
  /** The messages this pass took to send. */
  taken: ReadonlySet<string>;
}

/** How a drain ended; see OutboundDispatcher.drain. */
type DrainEnd = 'released' | 'again' | 'ended' | 'stuck';

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
  /** Conversations this process is delivering now. */
  private readonly running = new Map<string, RunningPass>();
  /** Messages recently settled here (sent, or given up on): they are not pending any more. */
  private readonly settled = new RecentMap<string, true>(SETTLED_MEMORY);
  private timer: NodeJS.Timeout | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly settlements: StatementBatcher<Settlement, LeaseAfterSettlement>;
  private readonly leases: StatementBatcher<HeldLease, LeaseAttempt>;

  constructor(private readonly options: DispatcherOptions) {
    this.sleep = options.sleep ?? defaultSleep;
    this.settlements = settlementBatcher(options.db);
    this.leases = leaseBatcher(options.db, () => this.channels());
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

  /** Channels this process can deliver on. */
  channels(): ChannelName[] {
    return [...this.adapters.keys()];
  }

  /** Whether a channel can deliver now (registered in this process). */
  handles(channel: ChannelName): boolean {
    return this.adapters.has(channel);
  }

  /**
   * Delivers a conversation's pending messages under its lease, in passes. A deliverer that finds
   * the lease held (in another process) raises its `again` flag, which the holder's release
   * reports: the holder takes one more pass, so no message stored meanwhile is stranded.
   *
   * Within this process a conversation already being delivered is not raced for in the
   * database: the call returns `busy` at once and the running pass goes round once more, which
   * takes the caller's messages (stored before it was called) without the lease's round trips.
   *
   * `messageIds`, the batch the caller stored, lets it end at once when that batch is already
   * settled here, or is being sent by the running pass: no round trip, no extra pass.
   */
  async deliver(conversationId: string, messageIds: readonly string[] = []): Promise<DeliveryOutcome> {
    const running = this.running.get(conversationId);
    if (messageIds.length > 0) {
      if (messageIds.every((id) => this.settled.get(id))) return 'delivered';
      if (running && messageIds.every((id) => running.taken.has(id))) return 'busy';
    }
    if (running) {
      running.again = true;
      return 'busy';
    }
    const state: RunningPass = { again: false, taken: new Set() };
    this.running.set(conversationId, state);
    try {
      return await this.passes(conversationId, state);
    } finally {
      this.running.delete(conversationId);
    }
  }

  private async passes(conversationId: string, state: RunningPass): Promise<DeliveryOutcome> {
    const lease: HeldLease = { conversationId, holder: randomUUID(), ttlMs: this.options.leaseMs ?? 60_000 };
    for (let pass = 0; ; pass++) {
      state.again = false;
      const { pending, taken, recovered, messages } = await this.leases.submit(lease);
      // Nothing waiting: this call's messages went out with an earlier one.
      if (!pending) return 'delivered';
      // Held by another deliverer, whose release now tells it to take these messages too.
      if (!taken) return pass === 0 ? 'busy' : 'delivered';
      state.taken = new Set(messages.map((message) => message.id));
      const end = await this.drain(lease, messages, recovered);
      state.taken = new Set();
      if (end === 'stuck') return 'retry_later';
      if (state.again || end === 'again') continue;
      if (end === 'released') return 'delivered';
      // Ended without the release's report (a recipient given up on, the lease lost): look for
      // anything stored meanwhile, after the lease is gone. A call that came in during the look
      // is taken by one more pass.
      if (!(await this.hasDeliverable(conversationId)) && !state.again) return 'delivered';
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

  /**
   * Sends what is pending, in order, and releases the lease. Each message is recorded as soon as
   * the channel has answered, in the statement that also renews the lease for the next one (or
   * releases it after the last): the lease is confirmed just before every send.
   *
   * Ends `released` (the last record released the lease, and nobody asked for more), `again`
   * (released, but another deliverer asked for one more pass), `stuck` (a message keeps failing;
   * later ones wait behind it), or `ended` early (the lease released without that report).
   */
  private async drain(
    lease: HeldLease,
    rows: readonly PendingMessage[],
    recovered: boolean,
  ): Promise<DrainEnd> {
    let released = false;
    try {
      for (const [index, row] of rows.entries()) {
        const adapter = this.adapters.get(row.channel);
        if (!adapter) return 'ended'; // The channel is off here: keep the messages for when it is back.
        const then = index === rows.length - 1 ? 'release' : 'renew';
        let settlement: MessageSettlement;
        if (row.unreachable_at) settlement = { status: 'failed', reason: 'recipient unreachable' };
        else if (index === 0 && recovered && (await this.alreadyDelivered(adapter, row))) {
          settlement = { status: 'sent' };
        } else {
          const outcome = await this.sendWithRetries(adapter, this.outboundMessage(row));
          if (outcome === 'unreachable') {
            await this.giveUpOnRecipient(lease.conversationId, row.identity_id);
            return 'ended';
          }
          // Still failing: stop here so later replies do not overtake this one; retried later.
          if (outcome === 'retry_later') return 'stuck';
          settlement =
            outcome === 'sent' ? { status: 'sent' } : { status: 'failed', reason: 'refused by the channel' };
        }
        const after = await this.settlements.submit({ lease, messageId: row.id, settlement, then });
        this.settled.set(row.id, true);
        if (after === 'released' || after === 'again') {
          released = true;
          return after;
        }
        // A lease lost (this pass took longer than the lease) means another deliverer took over.
        if (after === 'lost') return 'ended';
      }
      return 'ended';
    } finally {
      if (!released) await releaseDeliveryLease(this.options.db, lease.conversationId, lease.holder);
    }
  }

  /**
   * After a deliverer died holding this conversation, its last message may have reached the
   * channel unrecorded. Only that one (the first still pending: deliveries go one at a time) is in
   * doubt; a channel that can read its history back says whether it went out, the others get it
   * again. A failed look is no answer: the message is sent.
   */
  private async alreadyDelivered(adapter: ChannelAdapter, row: PendingMessage): Promise<boolean> {
    if (!adapter.wasDelivered) return false;
    try {
      const previous = await this.options.db
        .selectFrom('messages')
        .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
        .select(['messages.text', 'messages.choices'])
        .where('conversations.identity_id', '=', row.identity_id)
        .where('messages.direction', '=', 'out')
        .where('messages.delivery_status', '=', 'sent')
        .orderBy('messages.sent_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      const delivered = await adapter.wasDelivered(this.outboundMessage(row), {
        createdAt: row.created_at,
        previous: previous ?? null,
      });
      if (delivered) {
        this.options.logger.info(
          { messageId: row.id, channel: row.channel },
          'a message sent before a crash was found in the channel history: not sent again',
        );
      }
      return delivered;
    } catch (error) {
      this.options.logger.warn(
        { err: safeError(error), messageId: row.id },
        'could not read the channel history',
      );
      return false;
    }
  }

  private outboundMessage(row: PendingMessage): OutboundMessage {
    return {
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
  }

  /** Nothing more goes to this person until they write again. */
  private async giveUpOnRecipient(conversationId: string, identityId: string): Promise<void> {
    await this.markUnreachable(identityId);
    await this.options.db
      .updateTable('messages')
      .set({ delivery_status: 'failed', delivery_error: 'recipient unreachable' })
      .where('conversation_id', '=', conversationId)
      .where('direction', '=', 'out')
      .where('delivery_status', '=', 'pending')
      .execute();
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
        this.options.metrics?.sendAttempt({ channel: message.channel, outcome: 'sent' });
        return 'sent';
      } catch (error) {
        const kind = error instanceof ChannelSendError ? error.kind : 'transient';
        this.options.metrics?.sendAttempt({ channel: message.channel, outcome: kind });
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

  private async markUnreachable(identityId: string): Promise<void> {
    await this.options.db
      .updateTable('channel_identities')
      .set({ unreachable_at: new Date() })
      .where('id', '=', identityId)
      .execute();
  }
}
