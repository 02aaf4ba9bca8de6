import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { Bot } from '../../src/app.js';
import { ChannelSendError } from '../../src/channels/send-error.js';
import type { OutboundMessage } from '../../src/channels/types.js';
import { RecordingChannel, sayOnTelegram as say, until, useFollowUpBots } from '../support/follow-up-bots.js';

/** Fails the first `failures` sends of the reminder with a 502, then delivers. */
class FlakyChannel extends RecordingChannel {
  attempts = 0;
  constructor(private failures: number) {
    super();
  }
  override async send(message: OutboundMessage): Promise<void> {
    if (message.nodeId === 'intake_reminder' && this.failures > 0) {
      this.failures--;
      this.attempts++;
      throw new ChannelSendError('transient', 'Bad Gateway', { code: 502 });
    }
    await super.send(message);
  }
}

/**
 * A follow-up's messages go out from the follow-up's own job where this process has the
 * channel (one job per batch, not two), and through the outbound queue, with its backoff,
 * when they cannot go out at once. Real Redis and PostgreSQL.
 */
describe('delivering a follow-up’s messages', { timeout: 60_000 }, () => {
  const bots = useFollowUpBots({ INTAKE_REMINDER_AFTER: '1s', INTAKE_EXPIRES_AFTER: '1h' });

  async function start(channel: RecordingChannel) {
    const bot = await bots.start(channel);
    const queued = vi.spyOn(
      bot.jobs?.outbound as NonNullable<Bot['jobs']>['outbound'],
      'deliverConversation',
    );
    return { bot, queued };
  }

  const batchKeys = (queued: { mock: { calls: unknown[][] } }) => queued.mock.calls.map((call) => call[1]);

  it('sends the reminder from the follow-up job, with no delivery job of its own', async () => {
    const channel = new RecordingChannel();
    const { bot, queued } = await start(channel);
    const user = `u-${randomUUID()}`;
    await say(bot, user, 'السلام عليكم');
    await say(bot, user, '2');
    const reminder = await until(() => channel.to(user).find((m) => m.nodeId === 'intake_reminder'));
    const askedAgain = await until(() => channel.to(user)[channel.to(user).indexOf(reminder) + 1]);
    expect(askedAgain.nodeId).toBe('name');
    // The two inbound turns queued their replies; the follow-up queued nothing.
    expect(batchKeys(queued).filter((key) => String(key).startsWith('followup-'))).toEqual([]);
    const pending = await bot.database.db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', reminder.conversationId)
      .where('delivery_status', '=', 'pending')
      .execute();
    expect(pending).toEqual([]);
  });

  it('a delivery job carries its batch’s message ids, and one run after they went out ends without looking', async () => {
    const channel = new RecordingChannel();
    const { bot, queued } = await start(channel);
    const outbound = bot.jobs?.outbound as NonNullable<Bot['jobs']>['outbound'];
    const user = `u-${randomUUID()}`;
    const result = await say(bot, user, 'السلام عليكم');
    const ids = result.replies.map((reply) => reply.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(queued.mock.calls.find((call) => call[1] === result.inboundId)?.[2]).toEqual(ids);
    await until(() => (channel.to(user).length === ids.length ? true : undefined));

    // A probe, not a real state: put one of those messages back to pending behind the process's
    // back. A job that looked in the database would send it again; this one knows its batch
    // went out from here and ends at once.
    await bot.database.db
      .updateTable('messages')
      .set({ delivery_status: 'pending' })
      .where('id', '=', ids[0] as string)
      .execute();
    const key = `again-${result.inboundId}`;
    await outbound.deliverConversation(result.conversationId, key, ids);
    await until(async () => ((await outbound.queue.getJob(`batch-${key}`)) ? undefined : true));
    expect(channel.to(user)).toHaveLength(ids.length);

    // Without the ids, the job looks, finds the message pending, and sends it.
    await outbound.deliverConversation(result.conversationId, `${key}-without-ids`);
    await until(() => (channel.to(user).length === ids.length + 1 ? true : undefined));
  });

  it('hands a reminder the channel keeps refusing to the outbound queue, which delivers it once', async () => {
    const channel = new FlakyChannel(5); // the dispatcher's five tries within the job all fail
    const { bot, queued } = await start(channel);
    const user = `u-${randomUUID()}`;
    await say(bot, user, 'السلام عليكم');
    await say(bot, user, '2');
    const reminder = await until(() => channel.to(user).find((m) => m.nodeId === 'intake_reminder'), 30_000);
    expect(channel.attempts).toBe(5);
    expect(batchKeys(queued).some((key) => String(key).startsWith('followup-'))).toBe(true);
    await until(() => channel.to(user)[channel.to(user).indexOf(reminder) + 1]);
    expect(channel.to(user).filter((m) => m.nodeId === 'intake_reminder')).toHaveLength(1);
  });
});
