import type { Message } from 'whatsapp-web.js';
import { toE164 } from '../../domain/phone.js';
import type { InboundMessage } from '../types.js';

/** What became of a WhatsApp message: one for the inbox, or why it is not (never its content). */
export type WhatsAppInbound =
  | { kind: 'message'; message: InboundMessage }
  | { kind: 'ignored'; reason: 'from_me' | 'status' | 'not_private' | 'system' };

/** A person's chat: a phone-number id (`9665…@c.us`) or a linked id (`…@lid`) WhatsApp now uses. */
const PERSON_JID = /^\d{5,20}@(c\.us|lid)$/;

/** Whether an id is one person's chat (not a group, broadcast list, status or channel). */
export function isPersonJid(jid: string): boolean {
  return PERSON_JID.test(jid);
}

/** The E.164 number of a phone-number id (`9665…@c.us`); a linked id (`@lid`) has none. */
export function phoneOfJid(jid: string): string | undefined {
  const [user, server] = jid.split('@');
  return server === 'c.us' && user ? toE164(user) : undefined;
}

/** Kinds of message that are WhatsApp's own bookkeeping, not something the person wrote. */
const SYSTEM_TYPES = new Set<string>([
  'revoked',
  'e2e_notification',
  'notification',
  'notification_template',
  'gp2',
  'group_notification',
  'protocol',
  'reaction',
  'call_log',
  'ciphertext',
  'debug',
  'broadcast_notification',
]);

/** Message types whose body is what the person typed or chose. */
const TEXT_TYPES = new Set<string>(['chat', 'buttons_response', 'list_response', 'template_button_reply']);

/** Media types whose body is a caption the person wrote. */
const CAPTIONED = new Set<string>(['image', 'video', 'document', 'album']);

function mediaKind(type: string): string {
  switch (type) {
    case 'image':
    case 'album':
      return 'image';
    case 'video':
      return 'video';
    case 'audio':
      return 'audio';
    case 'ptt':
      return 'voice';
    case 'sticker':
      return 'sticker';
    case 'document':
      return 'document';
    case 'location':
      return 'location';
    default:
      return 'other';
  }
}

function rawString(message: Message, field: string): string | undefined {
  // whatsapp-web.js keeps WhatsApp Web's own record of the message (`_data`, also `rawData`).
  const raw = (message.rawData ?? (message as unknown as { _data?: object })._data) as
    | Record<string, unknown>
    | undefined;
  const value = raw?.[field];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * Translates a whatsapp-web.js message for the inbox. Only people's own chats count: groups,
 * status updates, broadcast lists, channels (newsletters) and our own messages are ignored. Media
 * keeps its kind and caption; the person's phone number is what WhatsApp vouches for when their
 * id is a phone-number id (`@c.us`). A linked id (`@lid`) carries no number: the adapter asks
 * WhatsApp for it separately.
 */
export function toInbound(message: Message): WhatsAppInbound {
  const from = message.from ?? '';
  if (message.fromMe || message.id?.fromMe) return { kind: 'ignored', reason: 'from_me' };
  if (message.isStatus || from === 'status@broadcast') return { kind: 'ignored', reason: 'status' };
  if (!isPersonJid(from)) return { kind: 'ignored', reason: 'not_private' };
  const type = String(message.type ?? 'unknown');
  if (SYSTEM_TYPES.has(type)) return { kind: 'ignored', reason: 'system' };

  let text = '';
  let kind: string | null = null;
  if (TEXT_TYPES.has(type)) text = message.body ?? '';
  else {
    kind = mediaKind(type);
    // With media, whatsapp-web.js puts the caption in `body`; otherwise `body` may hold a
    // thumbnail or a vCard, which is not something the person wrote.
    if (CAPTIONED.has(type))
      text = rawString(message, 'caption') ?? (message.hasMedia ? (message.body ?? '') : '');
  }

  const verifiedPhone = phoneOfJid(from) ?? null;
  const displayName = rawString(message, 'notifyName') ?? null;
  return {
    kind: 'message',
    message: {
      channel: 'whatsapp',
      externalUserId: from,
      externalMessageId: message.id._serialized,
      text,
      mediaKind: kind,
      displayName,
      verifiedPhone,
      // No receivedAt from WhatsApp's timestamp: it has whole seconds only, and the inbox orders a
      // conversation's messages by time; it stamps them itself on arrival.
    },
  };
}
