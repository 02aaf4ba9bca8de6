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
