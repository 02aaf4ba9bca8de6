import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Update } from 'telegraf/types';
import type { MessageRequest } from 'telegram-test-api/lib/modules/telegramClient.js';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelHealth } from '../../src/channels/health.js';
import { createInboundHandler } from '../../src/channels/inbound-handler.js';
import { createTelegramAdapter, type TelegramAdapter } from '../../src/channels/telegram/index.js';
import type { InboundHandler, InboundMessage } from '../../src/channels/types.js';
import { OutboundDispatcher } from '../../src/outbound/dispatcher.js';
import { createTestBot, silentLogger, type TestBot } from '../support/bot.js';

/**
 * The Telegram channel end to end: a real bot (engine, inbox, PGlite, outbound dispatcher)
 * behind the adapter, talking to telegram-test-api, a Bot API emulator, through telegraf. The
 * tests are Telegram users: they send messages, press buttons and share their contact through
 * the emulator's client API, and read what the bot sent them.
 */

const TOKEN = '111111:POLLING-bot-token-aaaaaaaaaaaaaa';
const HOOK_TOKEN = '222222:WEBHOOK-bot-token-bbbbbbbbbbbbbb';
const HOOK_SECRET = 'webhook-secret-of-the-test_0123';

const MENU = ['الأسئلة الشائعة', 'تقديم طلب دعم', 'الاستعلام عن حالة طلب', 'تقييم الخدمة', 'التحدث مع موظف'];

interface Button {
  text: string;
  callback_data?: string;
  request_contact?: boolean;
}

/** A message the bot sent, as the emulator stored it. */
interface BotMessage {
  messageId: number;
  text: string;
  reply_markup?: {
    inline_keyboard?: Button[][];
    keyboard?: Button[][];
    one_time_keyboard?: boolean;
    remove_keyboard?: boolean;
  };
  parse_mode?: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(15);
  }
}

async function startEmulator(): Promise<TelegramServer> {
  for (let attempt = 1; ; attempt++) {
    const port = 9000 + Math.floor(Math.random() * 30_000);
    const server = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 600 });
    try {
      await server.start();
      return server;
    } catch (error) {
      if (attempt >= 20) throw error;
    }
  }
}

/** A port nothing listens on. */
function deadPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

let nextUserId = 500_000 + Math.floor(Math.random() * 100_000);

let emulator: TelegramServer;
let bot: TestBot;
let dispatcher: OutboundDispatcher;
let health: ChannelHealth;
let adapter: TelegramAdapter;
/** Every message an adapter handed to the inbox, once the inbox had stored it. */
const delivered: InboundMessage[] = [];
let onMessage: InboundHandler;

beforeAll(async () => {
  emulator = await startEmulator();
  bot = await createTestBot('pglite');
  dispatcher = new OutboundDispatcher({ db: bot.database.db, logger: silentLogger, baseDelayMs: 10 });
  const inbound = createInboundHandler(bot.inbox, dispatcher);
  onMessage = async (message) => {
    await inbound(message);
    delivered.push(message);
  };
  health = new ChannelHealth();
  adapter = createTelegramAdapter({
    token: TOKEN,
    apiRoot: emulator.config.apiURL,
    logger: silentLogger,
    health,
    catalog: bot.catalog,
  });
  dispatcher.register(adapter);
  await adapter.start(onMessage);
});

afterAll(async () => {
  await adapter?.stop();
  await dispatcher?.stop();
  await emulator?.stop();
  await bot?.drop();
});

/** The bot's messages to a chat not read yet. */
async function unread(token: string, chatId: number): Promise<BotMessage[]> {
  const response = await fetch(`${emulator.config.apiURL}/getUpdates`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, chatId }),
  });
  const body = (await response.json()) as {
    result: Array<{ messageId: number; message: Omit<BotMessage, 'messageId'> }>;
  };
  return body.result.map((update) => ({ ...update.message, messageId: update.messageId }));
}

/** The stored messages of a Telegram chat, oldest first. */
async function storedMessages(chatId: number) {
  return bot.database.db
    .selectFrom('messages')
    .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .innerJoin('channel_identities', 'channel_identities.id', 'conversations.identity_id')
    .select([
      'messages.direction',
      'messages.text',
      'messages.media_kind',
      'messages.external_id',
      'messages.delivery_status',
    ])
    .where('channel_identities.channel', '=', 'telegram')
    .where('channel_identities.external_id', '=', String(chatId))
    .orderBy('messages.created_at')
    .orderBy('messages.position')
    .execute();
}

const deliveredTo = (chatId: number) => delivered.filter((m) => m.externalUserId === String(chatId));

/** The emulator's record of an update a user sent (to have it delivered again). */
function userUpdate(predicate: (update: Record<string, unknown>) => boolean) {
  const found = emulator.storage.userMessages.find((update) =>
    predicate(update as unknown as Record<string, unknown>),
  );
  if (!found) throw new Error('update not found in the emulator');
  return found;
}

/** A Telegram user with a private chat (or a group) of their own. */
function telegramUser(options: { type?: 'private' | 'group'; token?: string } = {}) {
  const id = nextUserId++;
  const type = options.type ?? 'private';
  const token = options.token ?? TOKEN;
  const chatId = type === 'group' ? -id : id;
  const client = emulator.getClient(token, {
    userId: id,
    chatId,
    firstName: 'سارة',
    chatTitle: type === 'group' ? 'مجموعة الحي' : 'سارة',
    type,
  });

  /** Sends, then waits until the bot stored the message and delivered every reply it produced. */
  async function exchange(send: () => Promise<unknown>): Promise<BotMessage[]> {
    const before = (await storedMessages(chatId)).filter((m) => m.direction === 'in').length;
    await send();
    await until('the bot to store the message and deliver its replies', async () => {
      const stored = await storedMessages(chatId);
      return (
        stored.filter((m) => m.direction === 'in').length > before &&
        stored.every((m) => m.delivery_status !== 'pending')
      );
    });
    return unread(token, chatId);
  }

  const withoutText = (fields: Record<string, unknown>) => {
    const message = client.makeMessage('') as Record<string, unknown>;
    delete message.text;
    return { ...message, ...fields } as unknown as MessageRequest;
  };

  return {
    id,
    chatId,
    client,
    say: (text: string) => exchange(() => client.sendMessage(client.makeMessage(text))),
    send: (fields: Record<string, unknown>) => exchange(() => client.sendMessage(withoutText(fields))),
    /** Presses a button the way Telegram reports it: with the message that carried it. */
    press(message: BotMessage, label: string) {
      const button = message.reply_markup?.inline_keyboard?.flat().find((b) => b.text === label);
      if (!button?.callback_data) throw new Error(`no button «${label}» on the message`);
      const query = client.makeCallbackQuery(button.callback_data, {
        message: { message_id: message.messageId, text: message.text, reply_markup: message.reply_markup },
      } as never);
      return exchange(() => client.sendCallback(query));
    },
    unread: () => unread(token, chatId),
  };
}

const lastOf = (messages: BotMessage[]): BotMessage => {
  const last = messages.at(-1);
  if (!last) throw new Error('the bot sent nothing');
  return last;
};
const buttonsOf = (message: BotMessage) => message.reply_markup?.inline_keyboard?.flat().map((b) => b.text);

describe('Telegram channel, long polling against a Bot API emulator', () => {
  it('is up once started', () => {
    expect(health.get('telegram')?.state).toBe('up');
  });

  it('holds a whole intake: buttons, Arabic-Indic digits, a shared contact, confirmation, status', async () => {
    const person = telegramUser();

    const welcome = await person.say('السلام عليكم');
    expect(welcome).toHaveLength(2);
    expect(welcome[0]?.text).toContain('حيّاكم الله');
    const menu = lastOf(welcome);
    expect(buttonsOf(menu)).toEqual(MENU);
    expect(menu.parse_mode).toBeUndefined(); // plain text: nothing a user typed can become markup
    for (const button of menu.reply_markup?.inline_keyboard?.flat() ?? []) {
      expect(Buffer.byteLength(button.callback_data ?? '')).toBeLessThanOrEqual(64);
    }

    const intro = await person.press(menu, 'تقديم طلب دعم');
    expect(lastOf(intro).text).toContain('ما اسمكم الكامل');
    // The press reached the engine as the button's label.
    expect(deliveredTo(person.chatId).at(-1)).toMatchObject({
      text: 'تقديم طلب دعم',
      externalMessageId: expect.stringMatching(/^cb:\d+$/),
    });

    expect(lastOf(await person.say('محمد عبدالله القحطاني')).text).toContain('رقم الهوية');
    const mobile = lastOf(await person.say('١٠٠٠٠٠٠٠٠٨'));
    expect(mobile.text).toContain('رقم جوالكم');
    expect(mobile.reply_markup?.keyboard?.[0]?.[0]).toEqual({ text: 'مشاركة رقمي', request_contact: true });
    expect(mobile.reply_markup?.one_time_keyboard).toBe(true);

    // The person taps «مشاركة رقمي»: Telegram sends their own contact.
    const city = await person.send({
      contact: { phone_number: '966551234567', first_name: 'محمد', user_id: person.id },
    });
    expect(city).toHaveLength(1);
    expect(lastOf(city).text).toContain('مدينة');
    expect(lastOf(city).reply_markup?.remove_keyboard).toBe(true); // the share keyboard goes away
    expect(deliveredTo(person.chatId).at(-1)).toMatchObject({
      text: '+966551234567',
      verifiedPhone: '+966551234567',
    });
    const identity = await bot.database.db
      .selectFrom('channel_identities')
      .select('phone_e164')
      .where('channel', '=', 'telegram')
      .where('external_id', '=', String(person.chatId))
      .executeTakeFirstOrThrow();
    expect(identity.phone_e164).toBe('+966551234567');

    const supportType = lastOf(await person.say('الرياض'));
    expect(supportType.reply_markup?.remove_keyboard).toBeUndefined(); // removed once only
    expect(buttonsOf(supportType)).toContain('دعم السكن');
    expect(lastOf(await person.press(supportType, 'دعم السكن')).text).toContain('عدد أفراد');
    expect(lastOf(await person.say('٥')).text).toContain('الدخل الشهري');
    expect(lastOf(await person.say('٣٥٠٠')).text).toContain('صِفوا احتياجكم');
    const confirm = lastOf(await person.say('نحتاج مساعدة في دفع إيجار البيت المتأخر منذ ثلاثة أشهر'));
    expect(confirm.text).toContain('مسؤولون مسؤولية مباشرة');
    const summary = (await storedMessages(person.chatId)).filter((m) => m.direction === 'out').at(-2);
    // Shown in its local form between bidi isolates (stored in E.164, checked above).
    expect(summary?.text).toContain('• الجوال: \u20660551234567\u2069');
    expect(summary?.text).toContain('دعم السكن');
    const yes = buttonsOf(confirm)?.find((label) => label.startsWith('نعم'));
    expect(yes).toBeDefined();

    const submitted = lastOf(await person.press(confirm, yes as string));
    expect(submitted.text).toContain('تم استلام طلب الدعم');
    const reference = /رقم الطلب: (\d{8})/.exec(submitted.text)?.[1];
    expect(reference).toMatch(/^\d{8}$/);
    const request = await bot.database.db
      .selectFrom('support_requests')
      .select(['mobile_e164', 'support_type'])
      .where('reference', '=', reference as string)
      .executeTakeFirstOrThrow();
    expect(request).toEqual({ mobile_e164: '+966551234567', support_type: 'housing' });

    const status = lastOf(await person.say('حالة طلبي'));
    expect(status.text).toContain('لديكم طلب واحد');
    expect(status.text).toContain(reference as string);
  });

  it('answers a FAQ asked in free text, and /menu brings the menu', async () => {
    const person = telegramUser();
    const answer = lastOf(await person.say('متى يردون على طلبي؟'));
    expect(answer.text).toContain('لجنة البحث');
    expect(buttonsOf(lastOf(await person.say('/menu')))).toEqual(MENU);
  });

  it('rates the service with buttons; a low score is flagged for a supervisor', async () => {
    const person = telegramUser();
    const menu = lastOf(await person.say('السلام عليكم'));
    const score = lastOf(await person.press(menu, 'تقييم الخدمة'));
    expect(buttonsOf(score)).toContain('٢ — سيئة');
    const comment = lastOf(await person.press(score, '٢ — سيئة'));
    expect(buttonsOf(comment)).toEqual(['نعم، لديّ ملاحظة', 'تخطي']);
    // «Yes, I have a comment» asks for it; the typed comment is kept with the low score.
    const askText = lastOf(await person.press(comment, 'نعم، لديّ ملاحظة'));
    expect(askText.text).toContain('تفضلوا بكتابة ملاحظتكم');
    const thanks = lastOf(await person.say('تأخر الرد على اتصالي'));
    expect(thanks.text).toContain('مشرف علاقات المستفيدين');
  });

  it('hands over to staff: silence while waiting, then «إلغاء» returns to the bot', async () => {
    const person = telegramUser();
    const menu = lastOf(await person.say('مرحبا'));
    expect(lastOf(await person.press(menu, 'التحدث مع موظف')).text).toContain('سيرد عليكم');
    expect(await person.say('عندي سؤال عن طلبي')).toEqual([]);
    expect(lastOf(await person.say('إلغاء')).text).toContain('كيف أخدمكم');
  });

  it('answers a photo, a voice note and a sticker with one line about text, and stores their kind', async () => {
    const person = telegramUser();
    const photo = await person.send({
      photo: [{ file_id: 'p1', file_unique_id: 'u1', width: 9, height: 9 }],
    });
    expect(photo).toHaveLength(1);
    expect(photo[0]?.text).toContain('الصور');
    expect(photo[0]?.text).toContain('الرسائل النصية فقط');
    const voice = await person.send({ voice: { file_id: 'v1', file_unique_id: 'u2', duration: 3 } });
    expect(voice).toHaveLength(1);
    expect(voice[0]?.text).toContain('الرسائل الصوتية');
    const sticker = await person.send({ sticker: { file_id: 's1', file_unique_id: 'u3', type: 'regular' } });
    expect(sticker).toHaveLength(1);
    expect(sticker[0]?.text).toContain('الملصقات');
    const inbound = (await storedMessages(person.chatId)).filter((m) => m.direction === 'in');
    expect(inbound.map((m) => [m.media_kind, m.text])).toEqual([
      ['image', ''],
      ['voice', ''],
      ['sticker', ''],
    ]);
    // A caption is read like a message.
    const captioned = await person.send({
      photo: [{ file_id: 'p2', width: 9, height: 9 }],
      caption: 'القائمة',
    });
    expect(buttonsOf(lastOf(captioned))).toEqual(MENU);
  });

  it('recognises a redelivered message and a redelivered button press: one stored row, one set of replies', async () => {
    const person = telegramUser();
    const replies = await person.say('مرحبا');
    expect(replies).toHaveLength(2);
    const update = userUpdate(
      (u) => (u.message as { chat?: { id?: number } } | undefined)?.chat?.id === person.chatId,
    );
    const externalId = `${person.chatId}:${update.messageId}`;
    expect(deliveredTo(person.chatId).map((m) => m.externalMessageId)).toEqual([externalId]);

    // Telegram delivers the same update again (e.g. after a crash before the offset moved on).
    update.isRead = false;
    await until('the redelivery to reach the inbox', () => deliveredTo(person.chatId).length === 2);
    expect(deliveredTo(person.chatId)[1]?.externalMessageId).toBe(externalId);

    const pressed = await person.press(lastOf(replies), 'الأسئلة الشائعة');
    expect(pressed.length).toBeGreaterThan(0);
    const press = deliveredTo(person.chatId).at(-1) as InboundMessage;
    const callback = userUpdate(
      (u) => 'callbackQuery' in u && `cb:${String(u.callbackId)}` === press.externalMessageId,
    );
    callback.isRead = false;
    await until('the redelivered press to reach the inbox', () => deliveredTo(person.chatId).length === 4);
    expect(deliveredTo(person.chatId)[3]?.externalMessageId).toBe(press.externalMessageId);

    await sleep(300);
    expect(await person.unread()).toEqual([]);
    const inbound = (await storedMessages(person.chatId)).filter((m) => m.direction === 'in');
    expect(inbound.map((m) => m.external_id)).toEqual([externalId, press.externalMessageId]);
  });

  it('answers a group once with a polite line and never runs the engine for it', async () => {
    const group = telegramUser({ type: 'group' });
    await group.client.sendMessage(group.client.makeMessage('السلام عليكم'));
    let lines: BotMessage[] = [];
    await until('the line to the group', async () => {
      lines = lines.concat(await group.unread());
      return lines.length > 0;
    });
    expect(lines.map((m) => m.text)).toEqual([bot.catalog.format('ar', 'telegram.private_only')]);

    await group.client.sendMessage(group.client.makeMessage('أبي أقدم طلب دعم'));
    await until('the second message to be read', () =>
      emulator.storage.userMessages
        .filter((u) => (u as { message?: { chat?: { id?: number } } }).message?.chat?.id === group.chatId)
        .every((u) => u.isRead),
    );
    await sleep(300);
    expect(await group.unread()).toEqual([]);
    expect(deliveredTo(group.chatId)).toEqual([]);
    const identities = await bot.database.db
      .selectFrom('channel_identities')
      .select('id')
      .where('external_id', '=', String(group.chatId))
      .execute();
    expect(identities).toEqual([]);
  });

  it('takes someone else’s contact as a typed number only, and ignores edits and unknown buttons', async () => {
    const person = telegramUser();
    await person.say('السلام عليكم');
    expect(lastOf(await person.say('٢')).text).toContain('ما اسمكم الكامل');
    await person.say('محمد عبدالله القحطاني');
    expect(lastOf(await person.say('1234567897')).text).toContain('رقم جوالكم');
    const city = await person.send({
      contact: { phone_number: '+966557654321', first_name: 'خالد', user_id: person.id + 1 },
    });
    expect(lastOf(city).text).toContain('مدينة');
    expect(deliveredTo(person.chatId).at(-1)).toMatchObject({ text: '+966557654321', verifiedPhone: null });
    const identity = await bot.database.db
      .selectFrom('channel_identities')
      .select('phone_e164')
      .where('external_id', '=', String(person.chatId))
      .executeTakeFirstOrThrow();
    expect(identity.phone_e164).toBeNull();

    const count = deliveredTo(person.chatId).length;
    await adapter.handleUpdate({
      update_id: 1,
      edited_message: {
        message_id: 1,
        date: 0,
        edit_date: 1,
        chat: { id: person.chatId, type: 'private', first_name: 'سارة' },
        from: { id: person.id, is_bot: false, first_name: 'سارة' },
        text: 'الرياض',
      },
    } as Update);
    // A button from a message the bot no longer knows (no keyboard in the callback either).
    await person.client.sendCallback(
      person.client.makeCallbackQuery('3:00000000-0000-0000-0000-000000000000'),
    );
    await until('the press to be read', () => emulator.storage.userMessages.every((u) => u.isRead));
    await sleep(300);
    expect(deliveredTo(person.chatId)).toHaveLength(count);
    expect(await person.unread()).toEqual([]);
  });

  it('splits a text longer than 4,096 characters, with the buttons on the last part', async () => {
    const person = telegramUser();
    const long = Array.from(
      { length: 120 },
      (_, i) => `السطر ${i + 1}: ${Array(15).fill('نص').join(' ')}`,
    ).join('\n');
    expect(long.length).toBeGreaterThan(4096);
    await adapter.send({
      id: randomUUID(),
      conversationId: randomUUID(),
      channel: 'telegram',
      externalUserId: String(person.chatId),
      text: long,
      choices: ['نعم', 'لا'],
      flowId: null,
      nodeId: null,
    });
    const parts = await person.unread();
    expect(parts).toHaveLength(2);
    expect(parts.every((part) => part.text.length <= 4096)).toBe(true);
    expect(parts.map((part) => part.text).join('\n')).toBe(long);
    expect(parts[0]?.reply_markup).toBeUndefined();
    expect(buttonsOf(parts[1] as BotMessage)).toEqual(['نعم', 'لا']);
  });

  it('spaces messages out to stay under Telegram’s global rate', async () => {
    const person = telegramUser();
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        adapter.send({
          id: randomUUID(),
          conversationId: randomUUID(),
          channel: 'telegram',
          externalUserId: String(person.chatId),
          text: `رسالة ${i}`,
          choices: [],
          flowId: null,
          nodeId: null,
        }),
      ),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 * 35 - 5);
    expect((await person.unread()).map((m) => m.text)).toHaveLength(6);
  });

  it('stops polling on stop(): updates stay with Telegram for the next start', async () => {
    const token = '333333:STOPPED-bot-token-cccccccccccccc';
    const ownHealth = new ChannelHealth();
    const other = createTelegramAdapter({
      token,
      apiRoot: emulator.config.apiURL,
      logger: silentLogger,
      health: ownHealth,
      catalog: bot.catalog,
    });
    await other.start(onMessage);
    expect(ownHealth.get('telegram')?.state).toBe('up');
    await other.stop();
    expect(ownHealth.get('telegram')?.state).toBe('off');
    const person = telegramUser({ token });
    await person.client.sendMessage(person.client.makeMessage('مرحبا'));
    await sleep(300);
    expect(userUpdate((u) => u.botToken === token).isRead).toBe(false);
    expect(deliveredTo(person.chatId)).toEqual([]);
  });
});

describe('Telegram channel, webhook mode', () => {
  let app: FastifyInstance;
  let hook: TelegramAdapter;
  const hookHealth = new ChannelHealth();

  beforeAll(() => {
    app = Fastify();
    hook = createTelegramAdapter({
      token: HOOK_TOKEN,
      apiRoot: emulator.config.apiURL,
      webhook: { url: 'https://bot.example.org/telegram/hook', secret: HOOK_SECRET, app },
      logger: silentLogger,
      health: hookHealth,
      catalog: bot.catalog,
    });
    dispatcher.register(hook); // same channel name: the webhook adapter delivers from here on
  });

  afterAll(async () => {
    await hook?.stop();
    dispatcher.register(adapter);
    await app?.close();
  });

  const post = (body: unknown, secret?: string) =>
    app.inject({
      method: 'POST',
      url: '/telegram/hook',
      payload: body as object,
      headers: secret === undefined ? {} : { 'x-telegram-bot-api-secret-token': secret },
    });

  function textUpdate(chatId: number, messageId: number, text: string): Update {
    return {
      update_id: messageId,
      message: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: 'private', first_name: 'سارة' },
        from: { id: chatId, is_bot: false, first_name: 'سارة' },
        text,
      },
    } as Update;
  }

  it('refuses requests without the right secret, and processes those with it', async () => {
    const chatId = nextUserId++;
    const update = textUpdate(chatId, 7, 'السلام عليكم');

    // Registered before the server listens; until start() it asks Telegram to retry later.
    expect((await post(update, HOOK_SECRET)).statusCode).toBe(503);

    await hook.start(onMessage);
    expect(hookHealth.get('telegram')?.state).toBe('up');
    const webhooks = (
      emulator as unknown as { webhooks: Record<string, { url: string; secret_token?: string }> }
    ).webhooks;
    expect(webhooks[HOOK_TOKEN]).toMatchObject({
      url: 'https://bot.example.org/telegram/hook',
      secret_token: HOOK_SECRET,
    });

    expect((await post(update)).statusCode).toBe(401);
    expect((await post(update, 'not-the-secret-of-the-test_0123')).statusCode).toBe(401);
    expect((await post(update, `${HOOK_SECRET}x`)).statusCode).toBe(401);
    expect(await storedMessages(chatId)).toEqual([]);
    expect(deliveredTo(chatId)).toEqual([]);

    expect((await post({ not: 'an update' }, HOOK_SECRET)).statusCode).toBe(400);
    // Without the secret the body is not even read.
    const unparsable = await app.inject({
      method: 'POST',
      url: '/telegram/hook',
      payload: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(unparsable.statusCode).toBe(401);

    const accepted = await post(update, HOOK_SECRET);
    expect(accepted.statusCode).toBe(200);
    // Answered only once the message was stored.
    expect((await storedMessages(chatId)).filter((m) => m.direction === 'in')).toHaveLength(1);
    let received: BotMessage[] = [];
    await until('the replies to the webhook user', async () => {
      received = received.concat(await unread(HOOK_TOKEN, chatId));
      return received.length >= 2;
    });
    expect(buttonsOf(lastOf(received))).toEqual(MENU);

    // Telegram retrying the same update: stored once.
    expect((await post(update, HOOK_SECRET)).statusCode).toBe(200);
    expect((await storedMessages(chatId)).filter((m) => m.direction === 'in')).toHaveLength(1);

    await hook.stop();
    expect((await post(textUpdate(chatId, 8, 'مرحبا'), HOOK_SECRET)).statusCode).toBe(503);
  });

  it('answers 500 when the message could not be stored, so Telegram delivers it again', async () => {
    const failing = Fastify();
    const token = '666666:FAILING-bot-token-ffffffffffffffff';
    const secret = 'another-webhook-secret_456789';
    const broken = createTelegramAdapter({
      token,
      apiRoot: emulator.config.apiURL,
      webhook: { url: 'https://bot.example.org/failing/hook', secret, app: failing },
      logger: silentLogger,
      health: new ChannelHealth(),
      catalog: bot.catalog,
    });
    await broken.start(async () => {
      throw new Error('database unavailable');
    });
    try {
      const response = await failing.inject({
        method: 'POST',
        url: '/failing/hook',
        payload: textUpdate(nextUserId++, 1, 'مرحبا'),
        headers: { 'x-telegram-bot-api-secret-token': secret },
      });
      expect(response.statusCode).toBe(500);
    } finally {
      await broken.stop();
      await failing.close();
    }
  });

  it('makes up a secret when none is configured, so no request goes unchecked', async () => {
    const bare = Fastify();
    createTelegramAdapter({
      token: HOOK_TOKEN,
      apiRoot: emulator.config.apiURL,
      webhook: { url: 'https://bot.example.org/other/hook', secret: undefined, app: bare },
      logger: silentLogger,
      health: new ChannelHealth(),
      catalog: bot.catalog,
    });
    const response = await bare.inject({
      method: 'POST',
      url: '/other/hook',
      payload: textUpdate(1, 1, 'x'),
    });
    expect(response.statusCode).toBe(401);
    await bare.close();
  });
});

describe('Telegram channel, failing to start', () => {
  it('reports an unreachable API as down with a reason, without the token', async () => {
    const token = '444444:UNREACHABLE-token-dddddddddddddd';
    const ownHealth = new ChannelHealth();
    const port = await deadPort();
    const unreachable = createTelegramAdapter({
      token,
      apiRoot: `http://127.0.0.1:${port}`,
      logger: silentLogger,
      health: ownHealth,
      catalog: bot.catalog,
    });
    await expect(unreachable.start(onMessage)).rejects.toThrow(
      `Telegram: cannot reach the Telegram Bot API at 127.0.0.1:${port} (FetchError ECONNREFUSED)`,
    );
    const status = ownHealth.get('telegram');
    expect(status?.state).toBe('down');
    expect(status?.reason).toContain('cannot reach the Telegram Bot API');
    expect(JSON.stringify(status)).not.toContain('UNREACHABLE-token');
  });

  it('reports a rejected token as down with a reason', async () => {
    const server: Server = createHttpServer((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: false, error_code: 401, description: 'Unauthorized' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const ownHealth = new ChannelHealth();
    try {
      const rejected = createTelegramAdapter({
        token: '555555:REVOKED-token-eeeeeeeeeeeeeeeeeeee',
        apiRoot: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
        logger: silentLogger,
        health: ownHealth,
        catalog: bot.catalog,
      });
      await expect(rejected.start(onMessage)).rejects.toThrow(
        /Telegram rejected the bot token \(401 Unauthorized\)/,
      );
      expect(ownHealth.get('telegram')).toMatchObject({
        state: 'down',
        reason: expect.stringContaining('check TELEGRAM_BOT_TOKEN'),
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
