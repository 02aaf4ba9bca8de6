import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestBot, type TestBot } from '../support/bot.js';
import { DIALECTS } from '../support/databases.js';

describe.each(DIALECTS)('ratings as stored, on %s', (dialect) => {
  let bot: TestBot;

  beforeAll(async () => {
    bot = await createTestBot(dialect);
  });
  afterAll(async () => {
    await bot.drop();
  });

  function beneficiary() {
    const user = randomUUID();
    let sequence = 0;
    return (text: string) =>
      bot.inbox.receive({
        channel: 'web',
        externalUserId: user,
        externalMessageId: `${user}:${++sequence}`,
        text,
      });
  }

  async function ratingOf(conversationId: string) {
    return bot.database.db
      .selectFrom('ratings')
      .select(['score', 'flagged', 'comment'])
      .where('conversation_id', '=', conversationId)
      .execute();
  }

  it.each(['مو كويس', 'مب زين', 'ماكانت زينة', 'مش ممتازة', 'ما عجبني', 'مش جيدة جدًا'])(
    'stores negated praise «%s» as a low score, flagged for the supervisor',
    async (answer) => {
      const send = beneficiary();
      await send('أبي أقيم الخدمة');
      expect((await send(answer)).replies.at(-1)?.nodeId).toBe('comment');
      const thanks = await send('تخطي');
      expect(thanks.replies.at(-1)?.text).toContain('مشرف علاقات المستفيدين');
      expect(await ratingOf(thanks.conversationId)).toEqual([{ score: 2, flagged: true, comment: null }]);
    },
  );

  it('a bare «نعم» at the comment question asks for the comment, which is stored, not «نعم»', async () => {
    const send = beneficiary();
    await send('أبي أقيم الخدمة');
    await send('خمس نجوم');
    const prompt = await send('نعم');
    expect(prompt.replies.at(-1)).toMatchObject({ nodeId: 'comment_text', text: 'تفضلوا بكتابة ملاحظتكم:' });
    const thanks = await send('الموظف كان متعاونًا جدًا');
    expect(thanks.replies.at(-1)?.nodeId).toBe('thanks');
    expect(await ratingOf(thanks.conversationId)).toEqual([
      { score: 5, flagged: false, comment: 'الموظف كان متعاونًا جدًا' },
    ]);
  });

  it('a bare no skips the comment; a score on another scale is asked again and never stored', async () => {
    const send = beneficiary();
    await send('أبي أقيم الخدمة');
    const again = await send('3 من 10');
    expect(again.replies.at(-1)?.nodeId).toBe('score');
    expect(await ratingOf(again.conversationId)).toEqual([]);
    await send('ثلاثة');
    const thanks = await send('ما عندي ملاحظات');
    expect(thanks.replies.at(-1)?.nodeId).toBe('thanks');
    expect(await ratingOf(thanks.conversationId)).toEqual([{ score: 3, flagged: false, comment: null }]);
  });
});
