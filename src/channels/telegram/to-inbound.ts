import type { Message, Update } from 'telegraf/types';
import { toE164 } from '../../domain/phone.js';
import type { InboundMessage } from '../types.js';

/** What an update means to the bot. */
export type TelegramUpdate =
  /** A new message in a private chat. */
  | { kind: 'message'; chatId: string; message: InboundMessage }
  /** A tap on one of our inline buttons in a private chat; the label is looked up by the adapter. */
  | {
      kind: 'button';
      chatId: string;
      callbackId: string;
      data: string;
      /** The message that carried the button (to read its keyboard, and to remove it). */
      messageId: number | undefined;
      markup: unknown;
      /** The inbound message, less the text: the pressed button's label becomes the text. */
      message: Omit<InboundMessage, 'text'>;
    }
  /** Anything from a group, supergroup or channel: answered once with a line, never processed. */
  | { kind: 'not_private'; chatId: string; callbackId?: string }
  /** Edits, service messages and update types the bot does not handle. */
  | { kind: 'ignored'; callbackId?: string };

/** The kind of a message that is not plain text, by the field Telegram fills in, first match wins. */
const MEDIA_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ['voice', 'voice'],
  ['audio', 'audio'],
  ['photo', 'image'],
  ['video', 'video'],
  ['video_note', 'video'],
  ['animation', 'video'], // a GIF also carries `document`: checked first
  ['sticker', 'sticker'],
  ['document', 'document'],
  ['location', 'location'],
  ['venue', 'location'],
  ['poll', 'other'],
  ['dice', 'other'],
  ['game', 'other'],
  ['story', 'other'],
  ['invoice', 'other'],
  ['paid_media', 'other'],
];

/** Content of a message a person wrote or sent, as opposed to a service message (pins, joins…). */
function mediaKindOf(message: Message): string | undefined {
  for (const [field, kind] of MEDIA_FIELDS) if (field in message) return kind;
  return undefined;
}

function nameOf(user: { first_name: string; last_name?: string } | undefined): string | null {
  if (!user) return null;
  return [user.first_name, user.last_name].filter(Boolean).join(' ').trim() || null;
}

/**
 * Translates a Telegram update into what the bot does with it. Telegram message ids are unique
 * per chat, so a message's external id is `chat:message`; a button press is `cb:<callback id>`.
 * Either way a redelivered update carries the same id, which the inbox recognises.
 */
export function classifyUpdate(update: Update): TelegramUpdate {
  if ('callback_query' in update) {
    const query = update.callback_query;
    const message = query.message;
    if (!message || !('data' in query) || typeof query.data !== 'string') {
      return { kind: 'ignored', callbackId: query.id };
    }
    const chatId = String(message.chat.id);
    if (message.chat.type !== 'private') return { kind: 'not_private', chatId, callbackId: query.id };
    return {
      kind: 'button',
      chatId,
      callbackId: query.id,
      data: query.data,
      messageId: typeof message.message_id === 'number' ? message.message_id : undefined,
      markup: 'reply_markup' in message ? message.reply_markup : undefined,
      message: {
        channel: 'telegram',
        externalUserId: chatId,
        externalMessageId: `cb:${query.id}`,
        displayName: nameOf(query.from),
      },
    };
  }
  if ('channel_post' in update) return { kind: 'not_private', chatId: String(update.channel_post.chat.id) };
  if (!('message' in update)) return { kind: 'ignored' }; // edited messages among them
  const message = update.message;
  const chatId = String(message.chat.id);
  if (message.chat.type !== 'private') return { kind: 'not_private', chatId };

  const base = {
    channel: 'telegram' as const,
    externalUserId: chatId,
    externalMessageId: `${chatId}:${message.message_id}`,
    displayName: nameOf(message.from),
  };
  if ('text' in message && typeof message.text === 'string') {
    return { kind: 'message', chatId, message: { ...base, text: message.text } };
  }
  if ('contact' in message) {
    // A shared contact answers the mobile question; the person's own contact (the «share my
    // number» button) proves the number is theirs, someone else's contact proves nothing.
    const raw = message.contact.phone_number ?? '';
    const e164 = toE164(raw);
    const own = message.contact.user_id !== undefined && message.contact.user_id === message.from?.id;
    return {
      kind: 'message',
      chatId,
      message: {
        ...base,
        text: e164 ?? raw,
        mediaKind: 'contact',
        verifiedPhone: own ? (e164 ?? null) : null,
      },
    };
  }
  const mediaKind = mediaKindOf(message);
  if (!mediaKind) return { kind: 'ignored' };
  const caption = 'caption' in message && typeof message.caption === 'string' ? message.caption : '';
  return { kind: 'message', chatId, message: { ...base, text: caption, mediaKind } };
}
