import { TelegramError } from 'telegraf';
import type { Update } from 'telegraf/types';
import { describe, expect, it } from 'vitest';
import {
  callbackData,
  classifyUpdate,
  describeStartError,
  inlineKeyboard,
  labelFromMarkup,
  toSendError,
} from '../../src/channels/telegram/index.js';

const TOKEN = '123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

const telegramError = (code: number, description: string, retryAfter?: number) =>
  new TelegramError({
    error_code: code,
    description,
    ...(retryAfter !== undefined ? { parameters: { retry_after: retryAfter } } : {}),
  });

/** A transport failure as telegraf's fetch reports it (its message quotes the URL, token and all). */
function fetchError(code: string): Error {
  const error = new Error(`request to http://127.0.0.1:9/bot${TOKEN}/sendMessage failed, reason: ${code}`);
  error.name = 'FetchError';
  Object.assign(error, { code, errno: code });
  return error;
}

describe('Telegram send failures by kind', () => {
  it.each([
    ['429 with retry_after', telegramError(429, 'Too Many Requests: retry after 3', 3), 'rate_limited', 3000],
    ['429 without retry_after', telegramError(429, 'Too Many Requests'), 'rate_limited', 1000],
    ['403 blocked', telegramError(403, 'Forbidden: bot was blocked by the user'), 'unreachable', undefined],
    ['403 deactivated', telegramError(403, 'Forbidden: user is deactivated'), 'unreachable', undefined],
    [
      '403 kicked',
      telegramError(403, 'Forbidden: bot was kicked from the group chat'),
      'unreachable',
      undefined,
    ],
    ['400 chat not found', telegramError(400, 'Bad Request: chat not found'), 'unreachable', undefined],
    ['400 other', telegramError(400, 'Bad Request: message is too long'), 'permanent', undefined],
    ['401', telegramError(401, 'Unauthorized'), 'permanent', undefined],
    ['500', telegramError(500, 'Internal Server Error'), 'transient', undefined],
    ['502', telegramError(502, 'Bad Gateway'), 'transient', undefined],
    ['network', fetchError('ECONNRESET'), 'transient', undefined],
  ] as const)('%s', (_name, failure, kind, retryAfterMs) => {
    const mapped = toSendError(failure);
    expect(mapped.kind).toBe(kind);
    expect(mapped.details.retryAfterMs).toBe(retryAfterMs);
    if (failure instanceof TelegramError) expect(mapped.details.code).toBe(failure.code);
  });

  it('never carries the token or the message text', () => {
    const network = toSendError(fetchError('ECONNREFUSED'));
    expect(network.message).toBe('transport failure (FetchError ECONNREFUSED)');
    const withPayload = new TelegramError(
      { error_code: 400, description: 'Bad Request: message is too long' },
      { method: 'sendMessage', payload: { chat_id: 42, text: 'رقم هويتي 1000000008' } },
    );
    const mapped = toSendError(withPayload);
    expect(JSON.stringify({ message: mapped.message, details: mapped.details })).not.toMatch(
      /1000000008|هويتي|AAAA/,
    );
  });

  it('explains a failed start without the token', () => {
    expect(describeStartError(telegramError(401, 'Unauthorized'), 'https://api.telegram.org')).toMatch(
      /^Telegram rejected the bot token \(401 Unauthorized\)/,
    );
    expect(describeStartError(telegramError(404, 'Not Found'), 'https://api.telegram.org')).toMatch(
      /rejected the bot token/,
    );
    const unreachable = describeStartError(fetchError('ENOTFOUND'), 'https://api.telegram.org');
    expect(unreachable).toBe('cannot reach the Telegram Bot API at api.telegram.org (FetchError ENOTFOUND)');
    expect(unreachable).not.toContain('AAAA');
  });
});

const from = { id: 777, is_bot: false, first_name: 'سارة', last_name: 'العتيبي' };
const chat = { id: 777, type: 'private' as const, first_name: 'سارة' };

function messageUpdate(
  fields: Record<string, unknown>,
  chatOverride: Record<string, unknown> = chat,
): Update {
  return {
    update_id: 1,
    message: { message_id: 31, date: 0, chat: chatOverride, from, ...fields },
  } as unknown as Update;
}

describe('Telegram updates as inbound messages', () => {
  it('maps a text message: ids that recognise a redelivery, the name, the text as sent', () => {
    expect(classifyUpdate(messageUpdate({ text: ' /start ' }))).toEqual({
      kind: 'message',
      chatId: '777',
      message: {
        channel: 'telegram',
        externalUserId: '777',
        externalMessageId: '777:31',
        displayName: 'سارة العتيبي',
        text: ' /start ',
      },
    });
  });

  it.each([
    ['voice', { voice: { file_id: 'v', duration: 1 } }, 'voice'],
    ['audio', { audio: { file_id: 'a', duration: 1 } }, 'audio'],
    ['photo', { photo: [{ file_id: 'p', width: 1, height: 1 }] }, 'image'],
    ['video', { video: { file_id: 'v', width: 1, height: 1, duration: 1 } }, 'video'],
    ['video note', { video_note: { file_id: 'v', length: 1, duration: 1 } }, 'video'],
    ['animation', { animation: { file_id: 'g' }, document: { file_id: 'g' } }, 'video'],
    ['sticker', { sticker: { file_id: 's' } }, 'sticker'],
    ['document', { document: { file_id: 'd' } }, 'document'],
    ['location', { location: { latitude: 24.7, longitude: 46.7 } }, 'location'],
    ['venue', { venue: { title: 'x' }, location: { latitude: 1, longitude: 1 } }, 'location'],
    ['poll', { poll: { id: 'p' } }, 'other'],
  ])('a %s is media of kind %s', (_name, fields, kind) => {
    const event = classifyUpdate(messageUpdate(fields));
    expect(event).toMatchObject({ kind: 'message', message: { text: '', mediaKind: kind } });
  });

  it('takes a caption as the text', () => {
    const event = classifyUpdate(messageUpdate({ photo: [{ file_id: 'p' }], caption: 'هذه صورة الهوية' }));
    expect(event).toMatchObject({
      kind: 'message',
      message: { text: 'هذه صورة الهوية', mediaKind: 'image' },
    });
  });

  it('takes the person’s own shared contact as a verified number, someone else’s as text only', () => {
    const own = classifyUpdate(
      messageUpdate({ contact: { phone_number: '966551234567', first_name: 'سارة', user_id: 777 } }),
    );
    expect(own).toMatchObject({
      kind: 'message',
      message: { text: '+966551234567', verifiedPhone: '+966551234567', mediaKind: 'contact' },
    });
    const other = classifyUpdate(
      messageUpdate({ contact: { phone_number: '+966 55 765 4321', first_name: 'خالد', user_id: 888 } }),
    );
    expect(other).toMatchObject({ kind: 'message', message: { text: '+966557654321', verifiedPhone: null } });
    const noUser = classifyUpdate(
      messageUpdate({ contact: { phone_number: '0551234567', first_name: 'x' } }),
    );
    expect(noUser).toMatchObject({ kind: 'message', message: { verifiedPhone: null } });
  });

  it('ignores edits and service messages', () => {
    const edited = {
      update_id: 2,
      edited_message: { message_id: 3, date: 0, chat, from, text: 'x' },
    } as Update;
    expect(classifyUpdate(edited)).toEqual({ kind: 'ignored' });
    expect(classifyUpdate(messageUpdate({ pinned_message: { message_id: 1 } }))).toEqual({ kind: 'ignored' });
  });

  it('recognises groups, supergroups and channels', () => {
    for (const type of ['group', 'supergroup', 'channel']) {
      expect(classifyUpdate(messageUpdate({ text: 'مرحبا' }, { id: -100, type, title: 'x' }))).toEqual({
        kind: 'not_private',
        chatId: '-100',
      });
    }
    const post = {
      update_id: 3,
      channel_post: { message_id: 1, date: 0, chat: { id: -5, type: 'channel' } },
    };
    expect(classifyUpdate(post as Update)).toEqual({ kind: 'not_private', chatId: '-5' });
  });

  it('maps a button press to its callback id and the message that carried it', () => {
    const markup = inlineKeyboard('0b7c5a0e-6f1d-4f7e-9a57-2f3c3d8b9e10', ['نعم', 'لا']);
    const update = {
      update_id: 4,
      callback_query: {
        id: '98765',
        from,
        chat_instance: 'c',
        data: callbackData('0b7c5a0e-6f1d-4f7e-9a57-2f3c3d8b9e10', 1),
        message: { message_id: 50, date: 0, chat, text: 'هل أنتم متأكدون؟', reply_markup: markup },
      },
    } as Update;
    const event = classifyUpdate(update);
    expect(event).toMatchObject({
      kind: 'button',
      chatId: '777',
      callbackId: '98765',
      messageId: 50,
      message: { externalUserId: '777', externalMessageId: 'cb:98765', displayName: 'سارة العتيبي' },
    });
    if (event.kind !== 'button') throw new Error('not a button');
    expect(labelFromMarkup(event.markup, event.data)).toBe('لا');
  });
});

describe('Telegram keyboards', () => {
  const id = '0b7c5a0e-6f1d-4f7e-9a57-2f3c3d8b9e10';

  it('keeps callback data within Telegram’s 64 bytes', () => {
    expect(Buffer.byteLength(callbackData(id, 11))).toBeLessThanOrEqual(64);
  });

  it('puts long labels one per row and many short ones two per row', () => {
    const menu = inlineKeyboard(id, [
      'الأسئلة الشائعة',
      'تقديم طلب دعم',
      'الاستعلام عن حالة طلب',
      'تقييم الخدمة',
      'التحدث مع موظف',
    ]);
    expect(menu.inline_keyboard.map((row) => row.length)).toEqual([1, 1, 1, 1, 1]);
    const short = inlineKeyboard(id, ['دعم مالي', 'دعم غذائي', 'دعم السكن', 'دعم تعليمي', 'دعم صحي', 'أخرى']);
    expect(short.inline_keyboard.map((row) => row.length)).toEqual([2, 2, 2]);
    expect(labelFromMarkup(short, callbackData(id, 4))).toBe('دعم صحي');
    expect(labelFromMarkup(short, callbackData(id, 9))).toBeUndefined();
    expect(labelFromMarkup(undefined, callbackData(id, 0))).toBeUndefined();
  });
});
