import { randomUUID } from 'node:crypto';
import type { Kysely, KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inbox } from '../../src/inbox/inbox.js';
import type { Database } from '../../src/storage/schema.js';
import { anotherInbox, createTestBot, type TestBot } from '../support/bot.js';
import { DIALECTS } from '../support/databases.js';

/** Counts the statements that came back from the database (BEGIN and COMMIT are not among them). */
class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery: KyselyPlugin['transformQuery'] = (args) => args.node;
  transformResult: KyselyPlugin['transformResult'] = async (args) => {
    this.count++;
    return args.result;
  };
}

/**
 * A new beneficiary's first message creates the contact, its channel identity, the conversation
 * and the stored message in one statement (createFirstConversation), under the identity's lock.
 */
describe.each(DIALECTS)('a first message on %s', (dialect) => {
  let bot: TestBot;
  let db: Kysely<Database>;
  const counter = new StatementCounter();
  let inbox: Inbox;

  beforeAll(async () => {
    bot = await createTestBot(dialect);
    db = bot.database.db;
    inbox = anotherInbox(bot, db.withPlugin(counter));
  });
  afterAll(async () => {
    await bot.drop();
  });

  const send = (user: string, text: string, externalMessageId = randomUUID()) =>
    inbox.receive({
      channel: 'telegram',
      externalUserId: user,
      externalMessageId,
      text,
      displayName: 'سارة',
    });

  async function rowsOf(user: string) {
    const identities = await db
      .selectFrom('channel_identities')
      .innerJoin('contacts', 'contacts.id', 'channel_identities.contact_id')
      .select([
        'channel_identities.id',
        'channel_identities.contact_id',
        'channel_identities.display_name',
        'channel_identities.phone_e164',
        'contacts.display_name as contact_name',
        'contacts.phone_verified',
      ])
      .where('channel_identities.channel', '=', 'telegram')
      .where('channel_identities.external_id', '=', user)
      .execute();
    const conversations = await db
      .selectFrom('conversations')
      .select(['id', 'contact_id', 'identity_id', 'channel', 'mode', 'locale', 'flow_id', 'node_id'])
      .where('identity_id', 'in', identities.length ? identities.map((row) => row.id) : [randomUUID()])
      .execute();
    return { identities, conversations };
  }

  it('creates the beneficiary, their conversation and the message together, then answers', async () => {
    const user = randomUUID();
    counter.count = 0;
    const first = await send(user, 'السلام عليكم');
    expect(first.replies.at(-1)?.nodeId).toBe('menu');
    // The identity's lock, the look-up of the identity, the one creating statement, the turn.
    expect(counter.count).toBe(4);

    const { identities, conversations } = await rowsOf(user);
    expect(identities).toEqual([
      {
        id: expect.any(String),
        contact_id: expect.any(String),
        display_name: 'سارة',
        phone_e164: null,
        contact_name: 'سارة',
        phone_verified: false,
      },
    ]);
    expect(conversations).toEqual([
      {
        id: first.conversationId,
        contact_id: identities[0]?.contact_id,
        identity_id: identities[0]?.id,
        channel: 'telegram',
        mode: 'bot',
        locale: 'ar',
        flow_id: 'main_menu',
        node_id: 'menu',
      },
    ]);
    const inbound = await db
      .selectFrom('messages')
      .select(['id', 'text', 'direction'])
      .where('conversation_id', '=', first.conversationId)
      .where('direction', '=', 'in')
      .execute();
    expect(inbound).toEqual([{ id: first.inboundId, text: 'السلام عليكم', direction: 'in' }]);

    // Known from then on: the same contact and conversation, nothing created again.
    const second = await send(user, '١');
    expect(second.conversationId).toBe(first.conversationId);
    expect((await rowsOf(user)).identities).toHaveLength(1);
  });

  it('recognises the first message delivered twice, answering it once', async () => {
    const user = randomUUID();
    const id = randomUUID();
    const [one, two] = await Promise.all([send(user, 'مرحبا', id), send(user, 'مرحبا', id)]);
    expect([one?.duplicate, two?.duplicate].sort()).toEqual([false, true]);
    expect(two?.replies.map((reply) => reply.id)).toEqual(one?.replies.map((reply) => reply.id));
    const { identities, conversations } = await rowsOf(user);
    expect(identities).toHaveLength(1);
    expect(conversations).toHaveLength(1);
  });
});
