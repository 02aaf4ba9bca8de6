import { randomUUID } from 'node:crypto';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelSendError } from '../../src/channels/send-error.js';
import type { ChannelAdapter, OutboundMessage } from '../../src/channels/types.js';
import { OutboundDispatcher } from '../../src/outbound/dispatcher.js';
import { createTestBot, silentLogger, type TestBot } from '../support/bot.js';

/** A channel stand-in: records what it delivers, and fails as told. */
class FakeChannel implements ChannelAdapter {
  readonly channel = 'telegram' as const;
  readonly capabilities = { buttons: true, maxButtons: 10, maxTextLength: 4096 };
  readonly delivered: OutboundMessage[] = [];
  failures: ChannelSendError[] = [];
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(message: OutboundMessage): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.delivered.push(message);
  }
}

describe('outbound dispatcher', () => {
  let bot: TestBot;
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
  };

  beforeAll(async () => {
    bot = await createTestBot('pglite');
  });
  afterAll(async () => {
    await bot.drop();
  });

  async function conversationWithReplies(text = 'السلام عليكم') {
    const user = randomUUID();
    const result = await bot.inbox.receive({
      channel: 'telegram',
      externalUserId: user,
      externalMessageId: randomUUID(),
      text,
    });
    return { user, result };
  }

  const statuses = (conversationId: string) =>
    bot.database.db
      .selectFrom('messages')
      .select(['delivery_status', 'text'])
      .where('conversation_id', '=', conversationId)
      .where('direction', '=', 'out')
      .orderBy('created_at')
      .orderBy('position')
      .execute();

  /** A dispatcher on a fresh channel whose statements are counted (BEGIN/COMMIT are not). */
  function countingDispatcher() {
    const counter = { statements: 0 };
    const counting: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        counter.statements++;
        return args.result;
      },
    };
    const channel = new FakeChannel();
    const dispatcher = new OutboundDispatcher({
      db: bot.database.db.withPlugin(counting),
      logger: silentLogger,
      sleep,
    });
    dispatcher.register(channel);
    return { counter, channel, dispatcher };
  }

  it('delivers a conversation’s replies in order and marks them sent', async () => {
    const channel = new FakeChannel();
    const dispatcher = new OutboundDispatcher({ db: bot.database.db, logger: silentLogger, sleep });
    dispatcher.register(channel);
    const { result, user } = await conversationWithReplies();
    expect((await statuses(result.conversationId)).every((m) => m.delivery_status === 'pending')).toBe(true);
    await dispatcher.deliverConversation(result.conversationId);
    expect(channel.delivered.map((m) => m.nodeId)).toEqual(['welcome', 'menu']);
    expect(channel.delivered.every((m) => m.externalUserId === user)).toBe(true);
    expect(channel.delivered[1]?.choices).toContain('تقديم طلب دعم');
    expect((await statuses(result.conversationId)).every((m) => m.delivery_status === 'sent')).toBe(true);
    // Delivering again sends nothing twice.
    await dispatcher.deliverConversation(result.conversationId);
    expect(channel.delivered).toHaveLength(2);
  });

  it('starts sending after one statement: the lease and the messages come together', async () => {
    const { counter, channel, dispatcher } = countingDispatcher();
    const { result } = await conversationWithReplies();
    await dispatcher.deliverConversation(result.conversationId);
    expect(channel.delivered.map((m) => m.nodeId)).toEqual(['welcome', 'menu']);
    // Lease with the messages, one record per message; the last releases the lease and reports
    // that nobody asked for more meanwhile, so there is no separate look.
    expect(counter.statements).toBe(1 + 2);

    // A job for that batch, run after it went out, ends without a round trip.
    counter.statements = 0;
    const ids = result.replies.map((reply) => reply.id);
    expect(await dispatcher.deliver(result.conversationId, ids)).toBe('delivered');
    expect(counter.statements).toBe(0);
    // Without its batch, the same call looks in the database (and finds nothing pending).
    expect(await dispatcher.deliver(result.conversationId)).toBe('delivered');
    expect(counter.statements).toBe(1);
    expect(channel.delivered).toHaveLength(2);
  });

  it('passes that start together take their leases, and record their messages, in shared statements', async () => {
    const { counter, channel, dispatcher } = countingDispatcher();
    const conversations = await Promise.all(Array.from({ length: 5 }, () => conversationWithReplies()));
    const outcomes = await Promise.all(
      conversations.map(({ result }) => dispatcher.deliver(result.conversationId)),
    );
    expect(outcomes).toEqual(Array(5).fill('delivered'));
    // Each conversation got its own two replies, in order, and to its own beneficiary.
    for (const { result, user } of conversations) {
      const own = channel.delivered.filter((m) => m.conversationId === result.conversationId);
      expect(own.map((m) => m.nodeId)).toEqual(['welcome', 'menu']);
      expect(own.every((m) => m.externalUserId === user)).toBe(true);
      expect((await statuses(result.conversationId)).every((m) => m.delivery_status === 'sent')).toBe(true);
    }
    // One statement for the five leases, one for the five first records (renewing), one for the
    // five last (releasing): 3, where a statement per pass and per message would be 5 + 10.
    expect(counter.statements).toBe(3);
  });

  it('a deliverer in another process that finds the lease held hands its messages to the holder', async () => {
    const { result, user } = await conversationWithReplies();
    const other = new OutboundDispatcher({ db: bot.database.db, logger: silentLogger, sleep });
    const otherChannel = new FakeChannel();
    other.register(otherChannel);
    let later: Awaited<ReturnType<typeof bot.inbox.receive>> | undefined;
    let otherOutcome: string | undefined;
    // While the holder sends its first message, the beneficiary writes again (new replies are
    // stored) and the other process tries to deliver them: the lease is held.
    class SlowChannel extends FakeChannel {
      override async send(message: OutboundMessage): Promise<void> {
        if (!later) {
          later = await bot.inbox.receive({
            channel: 'telegram',
            externalUserId: user,
            externalMessageId: randomUUID(),
            text: '١',
          });
          otherOutcome = await other.deliver(
            later.conversationId,
            later.replies.map((reply) => reply.id),
          );
        }
        await super.send(message);
      }
    }
    const channel = new SlowChannel();
    const holder = new OutboundDispatcher({ db: bot.database.db, logger: silentLogger, sleep });
    holder.register(channel);
    expect(await holder.deliver(result.conversationId)).toBe('delivered');
    expect(otherOutcome).toBe('busy');
    expect(otherChannel.delivered).toHaveLength(0);
    // The holder's release learnt of it and took one more pass: nothing is left pending.
    expect(channel.delivered.map((m) => m.nodeId)).toEqual([
      'welcome',
      'menu',
      ...(later?.replies ?? []).map((r) => r.nodeId),
    ]);
    expect((later?.replies ?? []).length).toBeGreaterThan(0);
    expect((await statuses(result.conversationId)).every((m) => m.delivery_status === 'sent')).toBe(true);
    const lease = await bot.database.db
      .selectFrom('delivery_leases')
      .selectAll()
      .where('conversation_id', '=', result.conversationId)
      .executeTakeFirst();
    expect(lease).toBeUndefined();
  });

  it('waits out a 429 for the channel’s retry-after, then delivers', async () => {
    const channel = new FakeChannel();
    channel.failures = [
      new ChannelSendError('rate_limited', 'Too Many Requests', { retryAfterMs: 3000, code: 429 }),
    ];
    const dispatcher = new OutboundDispatcher({ db: bot.database.db, logger: silentLogger, sleep });
    dispatcher.register(channel);
    waits.length = 0;
    const { result } = await conversationWithReplies();
    await dispatcher.deliverConversation(result.conversationId);
    expect(waits).toContain(3000);
    expect(channel.delivered).toHaveLength(2);
  });

  it('marks a person who blocked the bot unreachable and stops sending to them', async () => {
    const channel = new FakeChannel();
    channel.failures = [
      new ChannelSendError('unreachable', 'Forbidden: bot was blocked by the user', { code: 403 }),
    ];
    const dispatcher = new OutboundDispatcher({ db: bot.database.db, logger: silentLogger, sleep });
    dispatcher.register(channel);
    const { result, user } = await conversationWithReplies();
    await dispatcher.deliverConversation(result.conversationId);
    expect(channel.delivered).toHaveLength(0);
    expect((await statuses(result.conversationId)).map((m) => m.delivery_status)).toEqual([
      'failed',
      'failed',
    ]);
    const identity = await bot.database.db
      .selectFrom('channel_identities')
      .select('unreachable_at')
      .where('external_id', '=', user)
      .executeTakeFirstOrThrow();
    expect(identity.unreachable_at).not.toBeNull();
  });

  it('keeps order through transient failures: later replies wait, and a sweep after a restart delivers them', async () => {
    const channel = new FakeChannel();
    const failing = () => new ChannelSendError('transient', 'Bad Gateway', { code: 502 });
    channel.failures = [failing(), failing(), failing()];
    const first = new OutboundDispatcher({
      db: bot.database.db,
      logger: silentLogger,
      sleep,
      maxAttempts: 3,
    });
    first.register(channel);
    const { result } = await conversationWithReplies();
    await first.deliverConversation(result.conversationId);
    expect(channel.delivered).toHaveLength(0);
    expect((await statuses(result.conversationId)).map((m) => m.delivery_status)).toEqual([
      'pending',
      'pending',
    ]);

    // A new process starts: its sweep finds the pending replies and delivers them in order.
    const restarted = new OutboundDispatcher({ db: bot.database.db, logger: silentLogger, sleep });
    restarted.register(channel);
    await restarted.sweep();
    expect(channel.delivered.map((m) => m.nodeId)).toEqual(['welcome', 'menu']);
  });

  it('serialises deliveries of one conversation started concurrently', async () => {
    const channel = new FakeChannel();
    const dispatcher = new OutboundDispatcher({ db: bot.database.db, logger: silentLogger, sleep });
    dispatcher.register(channel);
    const { result } = await conversationWithReplies();
    await Promise.all([
      dispatcher.deliverConversation(result.conversationId),
      dispatcher.deliverConversation(result.conversationId),
    ]);
    expect(channel.delivered.map((m) => m.nodeId)).toEqual(['welcome', 'menu']);
  });
});
