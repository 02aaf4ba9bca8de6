import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/channels/types.js';
import type { Inbox } from '../../src/inbox/inbox.js';
import { anotherInbox, createTestBot, type TestBot } from '../support/bot.js';
import { DIALECTS } from '../support/databases.js';

/**
 * The inbox runs a turn in one statement when it remembers the conversation from its own last
 * turn there (saveTurnAtVersion). Whatever else changes the conversation in between — another
 * process, staff, a redelivery, two messages at once — the turn must come out exactly as the
 * locking path would make it: these tests would see a turn computed from a stale state.
 */
describe.each(DIALECTS)('one-statement turns on %s', (dialect) => {
  let bot: TestBot;
  /** A second process's inbox on the same database: its own memory of conversations. */
  let other: Inbox;

  beforeAll(async () => {
    bot = await createTestBot(dialect);
    other = anotherInbox(bot);
  });
  afterAll(async () => {
    await bot.drop();
  });

  function beneficiary() {
    const user = randomUUID();
    let sequence = 0;
    const message = (text: string, id = `${user}:${++sequence}`): InboundMessage => ({
      channel: 'telegram',
      externalUserId: user,
      externalMessageId: id,
      text,
    });
    return {
      /** Through the bot's own inbox. */
      send: (text: string, id?: string) => bot.inbox.receive(message(text, id)),
      /** Through the other process's inbox. */
      sendElsewhere: (text: string) => other.receive(message(text)),
    };
  }

  const lastNode = (result: { replies: Array<{ nodeId: string | null }> }) => result.replies.at(-1)?.nodeId;

  async function conversation(conversationId: string) {
    const row = await bot.database.db
      .selectFrom('conversations')
      .select(['mode', 'flow_id', 'node_id'])
      .where('id', '=', conversationId)
      .executeTakeFirstOrThrow();
    const messages = await bot.database.db
      .selectFrom('messages')
      .select(['direction', 'text', 'node_id', 'reply_to_id'])
      .where('conversation_id', '=', conversationId)
      .orderBy('created_at')
      .execute();
    return { ...row, messages };
  }

  it('takes up where another process left the conversation, not where it last saw it', async () => {
    const person = beneficiary();
    await person.send('السلام عليكم');
    expect(lastNode(await person.send('٢'))).toBe('name');
    // The other process takes the name; this inbox still remembers the conversation at «name».
    expect(lastNode(await person.sendElsewhere('محمد عبدالله القحطاني'))).toBe('national_id');
    // Taken as the ID (next: mobile), not as a second name.
    const answered = await person.send('1000000008');
    expect(lastNode(answered)).toBe('mobile');
    // And back: the other process remembered «national_id» from its own turn.
    expect(lastNode(await person.sendElsewhere('0551234567'))).toBe('city');
    expect(lastNode(await person.send('الرياض'))).toBe('support_type');

    const stored = await conversation(answered.conversationId);
    expect(stored).toMatchObject({ mode: 'bot', flow_id: 'intake', node_id: 'support_type' });
    const inbound = stored.messages.filter((m) => m.direction === 'in').map((m) => m.text);
    expect(inbound).toEqual([
      'السلام عليكم',
      '٢',
      'محمد عبدالله القحطاني',
      '1000000008',
      '0551234567',
      'الرياض',
    ]);
  });

  it('stores the message and its replies together, the replies pointing at it', async () => {
    const person = beneficiary();
    await person.send('السلام عليكم');
    const result = await person.send('١'); // remembered: the one-statement turn
    expect(lastNode(result)).not.toBeUndefined();
    const stored = await conversation(result.conversationId);
    const inbound = stored.messages.find((m) => m.direction === 'in' && m.text === '١');
    const replies = stored.messages.filter((m) => m.reply_to_id === result.inboundId);
    expect(inbound).toBeDefined();
    expect(replies.map((m) => m.node_id)).toEqual(result.replies.map((r) => r.nodeId));
    expect(replies.map((m) => m.text)).toEqual(result.replies.map((r) => r.text));
  });

  it('sees a staff takeover made behind its back, and stays silent', async () => {
    const person = beneficiary();
    const greeted = await person.send('السلام عليكم');
    await bot.database.db
      .updateTable('conversations')
      .set({ mode: 'staff' })
      .where('id', '=', greeted.conversationId)
      .execute();
    const during = await person.send('هل من جديد؟');
    expect(during.replies).toEqual([]);
    const stored = await conversation(greeted.conversationId);
    expect(stored.mode).toBe('staff');
    expect(stored.messages.at(-1)).toMatchObject({ direction: 'in', text: 'هل من جديد؟' });
  });

  it('recognises a redelivery of the message it has just handled in one statement', async () => {
    const person = beneficiary();
    await person.send('السلام عليكم');
    const first = await person.send('٢', 'redelivered');
    const again = await person.send('٢', 'redelivered');
    expect(again.duplicate).toBe(true);
    expect(again.replies.map((r) => r.id)).toEqual(first.replies.map((r) => r.id));
    const stored = await conversation(first.conversationId);
    expect(stored.messages.filter((m) => m.direction === 'in')).toHaveLength(2);
    // Moved once: the next answer is the name.
    expect(lastNode(await person.send('محمد عبدالله القحطاني'))).toBe('national_id');
  });

  it('never computes two messages sent at once from the same state', async () => {
    const person = beneficiary();
    await person.send('السلام عليكم');
    // The second unrecognised message in a row offers staff; two turns computed from one state
    // would both be the first fallback.
    const both = await Promise.all([person.send('كم درجة الحرارة اليوم؟'), person.send('سعر الدولار')]);
    const offersStaff = both.map((result) =>
      result.replies.some((reply) => reply.text.includes('يمكنكم التحدث مع أحد موظفي')),
    );
    expect(both.map(lastNode)).toEqual(['fallback', 'fallback']);
    expect(offersStaff.sort()).toEqual([false, true]);
  });

  it('after the remembered conversation was closed, starts a new one', async () => {
    const person = beneficiary();
    const greeted = await person.send('السلام عليكم');
    await bot.database.db
      .updateTable('conversations')
      .set({ mode: 'closed' })
      .where('id', '=', greeted.conversationId)
      .execute();
    const next = await person.send('مرحبا');
    expect(next.conversationId).not.toBe(greeted.conversationId);
    expect(lastNode(next)).toBe('menu');
    const old = await conversation(greeted.conversationId);
    expect(old.messages.filter((m) => m.direction === 'in')).toHaveLength(1);
  });
});
