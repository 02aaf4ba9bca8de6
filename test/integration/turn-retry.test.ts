import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bot, createBot } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../support/bot.js';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/databases.js';

/**
 * A turn PostgreSQL picks as a deadlock's victim is run again, not answered with the apology
 * (which would throw the beneficiary out of what they were doing). The deadlock is the one a
 * follow-up run and a turn that leaves the intake (cancelling its reminder and expiry) can make:
 * the other side holds the conversation's follow-ups and then wants the conversation the turn
 * holds.
 */
describe('a turn that loses a deadlock (PostgreSQL)', { timeout: 30_000 }, () => {
  let database: TestDatabase;
  let bot: Bot;
  let other: pg.Client;

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    bot = await createBot({
      config: loadConfig({ LOG_LEVEL: 'silent' }),
      logger: silentLogger,
      database: database.handle,
    });
    other = new pg.Client({
      connectionString: TEST_DATABASE_URL,
      options: `-c search_path=${database.schema}`,
    });
    await other.connect();
  });
  afterAll(async () => {
    await other.end();
    await bot.close();
    await database.drop();
  });

  const say = (user: string, text: string) =>
    bot.inbox.receive({ channel: 'web', externalUserId: user, externalMessageId: randomUUID(), text });

  it('is run again once the other side is through, and does what was asked', async () => {
    const user = `u-${randomUUID()}`;
    await say(user, 'السلام عليكم');
    const started = await say(user, '٢');
    expect(started.replies.at(-1)?.nodeId).toBe('name');

    await other.query('begin');
    await other.query('select id from follow_ups where conversation_id = $1 for update', [
      started.conversationId,
    ]);
    // Back to the menu: the turn locks the conversation, then waits for the follow-ups it cancels.
    const answer = say(user, 'القائمة');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Now the other side wants the conversation: a cycle. The turn has waited longer, so its
    // deadlock check fires first and it is the one rolled back.
    await other.query('select id from conversations where id = $1 for update', [started.conversationId]);
    await other.query('commit');

    const result = await answer;
    expect(result.replies.at(-1)).toMatchObject({ flowId: 'main_menu', nodeId: 'menu' });
    expect(result.replies.some((reply) => reply.nodeId === 'error')).toBe(false);
    const followUps = await bot.database.db
      .selectFrom('follow_ups')
      .select(['kind', 'status'])
      .where('conversation_id', '=', started.conversationId)
      .orderBy('kind')
      .execute();
    expect(followUps).toEqual([
      { kind: 'intake_expiry', status: 'cancelled' },
      { kind: 'intake_reminder', status: 'cancelled' },
    ]);
    const stored = await bot.database.db
      .selectFrom('messages')
      .select('text')
      .where('conversation_id', '=', started.conversationId)
      .where('direction', '=', 'in')
      .execute();
    // Stored once, though the turn ran twice.
    expect(stored.filter((row) => row.text === 'القائمة')).toHaveLength(1);
  });
});
