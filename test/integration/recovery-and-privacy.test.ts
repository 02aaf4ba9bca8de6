import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../../src/app.js';
import { loadConfig, PROJECT_ROOT } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';

/** Collects everything the logger writes. */
function captureLogs() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger('trace', stream) };
}

describe('failures and logs', () => {
  let flowsDir: string;
  let database: TestDatabase;

  beforeAll(async () => {
    // A copy of the flows in which one FAQ answer loops forever: a broken flow file.
    flowsDir = await mkdtemp(join(tmpdir(), 'flows-'));
    await cp(`${PROJECT_ROOT}flows`, flowsDir, { recursive: true });
    const faq = await readFile(join(flowsDir, 'faq.yaml'), 'utf8');
    const looping = faq.replace(
      / {2}- id: decision_time\n {4}type: message\n {4}text: faq\.decision_time\.answer\n/,
      '  - id: decision_time\n    type: goto\n    flow: faq\n    node: decision_time\n',
    );
    await writeFile(
      join(flowsDir, 'faq.yaml'),
      looping.replace(
        /( {2}- id: decision_time\n {4}type: goto[\s\S]*?)\n {4}choices:[\s\S]*?(?=\n {2}- id: how_to_apply)/,
        '$1',
      ),
    );
    database = await openTestDatabase('pglite');
  });
  afterAll(async () => {
    await database.drop();
    await rm(flowsDir, { recursive: true, force: true });
  });

  it('stores a message the engine could not handle, apologises once, and recovers at the menu', async () => {
    const { lines, logger } = captureLogs();
    const config = loadConfig({ LOG_LEVEL: 'trace', FLOWS_DIR: flowsDir });
    const bot = await createBot({ config, logger, database: database.handle });
    const send = (text: string, id: string) =>
      bot.inbox.receive({
        channel: 'web',
        externalUserId: 'visitor-recovery-0001',
        externalMessageId: id,
        text,
      });

    const failed = await send('متى يردون على طلبي؟', 'm1');
    expect(failed.replies).toHaveLength(1);
    expect(failed.replies[0]?.text).toContain('حدث خلل غير متوقع');
    const stored = await database.handle.db
      .selectFrom('messages')
      .select(['direction', 'text'])
      .where('conversation_id', '=', failed.conversationId)
      .orderBy('created_at')
      .execute();
    expect(stored[0]).toEqual({ direction: 'in', text: 'متى يردون على طلبي؟' });

    // Redelivery after the failure: recognised, the apology is not sent again as new.
    const again = await send('متى يردون على طلبي؟', 'm1');
    expect(again.duplicate).toBe(true);

    const menu = await send('مرحبا', 'm2');
    expect(menu.replies.at(-1)?.nodeId).toBe('menu');
    expect(lines.some((line) => line.includes('could not be handled'))).toBe(true);

    // Counted for /metrics as what it was: a broken flow is an alert, not a normal turn.
    const metrics = (await bot.metrics.render()).body;
    expect(metrics).toMatch(/^aiou_inbound_messages_total\{channel="web",outcome="recovered"\} 1$/m);
    expect(metrics).toMatch(/^aiou_inbound_messages_total\{channel="web",outcome="duplicate"\} 1$/m);
    expect(metrics).toMatch(/^aiou_inbound_messages_total\{channel="web",outcome="handled"\} 1$/m);
  });

  it('never writes national IDs, phone numbers, income or message text to the logs', async () => {
    const { lines, logger } = captureLogs();
    const config = loadConfig({ LOG_LEVEL: 'trace' });
    const bot = await createBot({ config, logger, database: database.handle });
    const answers = [
      'تقديم طلب دعم',
      'عبدالرحمن صالح الدوسري',
      '2345678904',
      '0559876543',
      'الخبر',
      '1',
      '7',
      '4321',
      'نحتاج مساعدة عاجلة في سداد الفواتير',
      'نعم',
    ];
    let index = 0;
    for (const text of answers) {
      await bot.inbox.receive({
        channel: 'telegram',
        externalUserId: 'privacy-user-0001',
        externalMessageId: `p${index++}`,
        text,
      });
    }
    // A duplicate produces a log line; it must not carry the text either.
    await bot.inbox.receive({
      channel: 'telegram',
      externalUserId: 'privacy-user-0001',
      externalMessageId: 'p1',
      text: answers[1] as string,
    });
    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of ['2345678904', '0559876543', '966559876543', '4321', 'عبدالرحمن', 'سداد الفواتير']) {
      expect(log).not.toContain(secret);
    }
  });
});
