import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { SendFailureKind } from '../channels/send-error.js';
import type { ChannelName } from '../storage/schema.js';

/** How the inbox ended an inbound message. */
export type TurnOutcome =
  /** The engine answered it. */
  | 'handled'
  /** The channel had delivered it before: recognised, not processed again. */
  | 'duplicate'
  /** The engine failed on it: stored with an apology, the conversation back at the menu. */
  | 'recovered'
  /** Not even stored (the database refused): the channel will redeliver it. */
  | 'failed';

/** What the channel said to one send. */
export type SendOutcome = 'sent' | SendFailureKind;

/** What the inbox reports, one call per inbound message. */
export interface TurnMetrics {
  turn(event: { channel: ChannelName; outcome: TurnOutcome; seconds: number; replies: number }): void;
}

/** What the outbound dispatcher reports, one call per attempt to send a message. */
export interface DeliveryMetrics {
  sendAttempt(event: { channel: ChannelName; outcome: SendOutcome }): void;
}

/**
 * The process's own counters, in its own registry (never prom-client's global one, so two bots in
 * one test process do not share counts), plus Node's standard process metrics. State read from
 * the database and the queues at scrape time is added by `registerStateGauges`.
 */
export class BotMetrics implements TurnMetrics, DeliveryMetrics {
  readonly registry = new Registry();
  private readonly inbound: Counter<'channel' | 'outcome'>;
  private readonly replies: Counter<'channel'>;
  private readonly turnSeconds: Histogram<'channel'>;
  private readonly sends: Counter<'channel' | 'outcome'>;
  private readonly webChatRefusals: Counter<'scope'>;

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.inbound = new Counter({
      name: 'aiou_inbound_messages_total',
      help: 'Inbound messages by channel and how the inbox ended them (handled, duplicate, recovered, failed)',
      labelNames: ['channel', 'outcome'],
      registers: [this.registry],
    });
    this.replies = new Counter({
      name: 'aiou_bot_replies_total',
      help: 'Replies the bot stored for delivery, by channel',
      labelNames: ['channel'],
      registers: [this.registry],
    });
    this.turnSeconds = new Histogram({
      name: 'aiou_turn_duration_seconds',
      help: 'Time from receiving an inbound message to its committed turn (stored, answered, state saved)',
      labelNames: ['channel'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.sends = new Counter({
      name: 'aiou_outbound_send_attempts_total',
      help: 'Attempts to send a reply to a channel, by what the channel answered',
      labelNames: ['channel', 'outcome'],
      registers: [this.registry],
    });
    this.webChatRefusals = new Counter({
      name: 'aiou_web_chat_refused_total',
      help: 'Web chat messages refused by the flood limit, by scope (visitor or client address)',
      labelNames: ['scope'],
      registers: [this.registry],
    });
  }

  /** A web chat message refused by the flood limit (per visitor, or per client address). */
  webChatRefused(scope: 'visitor' | 'address'): void {
    this.webChatRefusals.inc({ scope });
  }

  turn(event: { channel: ChannelName; outcome: TurnOutcome; seconds: number; replies: number }): void {
    this.inbound.inc({ channel: event.channel, outcome: event.outcome });
    if (event.replies > 0) this.replies.inc({ channel: event.channel }, event.replies);
    // A duplicate or a failure did no turn: its time would only blur the histogram.
    if (event.outcome === 'handled' || event.outcome === 'recovered')
      this.turnSeconds.observe({ channel: event.channel }, event.seconds);
  }

  sendAttempt(event: { channel: ChannelName; outcome: SendOutcome }): void {
    this.sends.inc({ channel: event.channel, outcome: event.outcome });
  }

  /**
   * A gauge whose value is read when scraped (database rows, queue counts, channel states).
   * Registering a name again replaces the earlier gauge (a server rebuilt on the same bot).
   */
  gauge<Label extends string>(options: {
    name: string;
    help: string;
    labelNames: readonly Label[];
    collect: (gauge: Gauge<Label>) => Promise<void> | void;
  }): void {
    const { collect, ...rest } = options;
    this.registry.removeSingleMetric(rest.name);
    new Gauge<Label>({
      ...rest,
      registers: [this.registry],
      async collect() {
        this.reset();
        await collect(this);
      },
    });
  }

  /** The Prometheus text exposition of everything registered. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
