import type { ChannelName } from '../storage/schema.js';

export type { ChannelName };

/**
 * A message from a beneficiary, as every channel adapter hands it to the inbox: the channel's
 * update translated into plain, channel-neutral fields. Adapters know nothing of flows.
 */
export interface InboundMessage {
  channel: ChannelName;
  /** The sender's id on the channel (Telegram chat id, WhatsApp JID, web visitor id). */
  externalUserId: string;
  /** The channel's id for this message, unique per channel: how a redelivery is recognised. */
  externalMessageId: string;
  /** Exactly as received (may be empty for media without a caption). */
  text: string;
  /** 'image', 'audio', 'document', 'location', 'sticker', … when the message is not plain text. */
  mediaKind?: string | null;
  displayName?: string | null;
  /** E.164 phone number the channel vouches for (a WhatsApp sender, a shared Telegram contact). */
  verifiedPhone?: string | null;
  receivedAt?: Date;
}

/** A message to a beneficiary: text plus optional choices, rendered by each channel as it can. */
export interface OutboundMessage {
  /** Our stored message id: adapters pass it back so delivery can be recorded exactly once. */
  id: string;
  conversationId: string;
  channel: ChannelName;
  externalUserId: string;
  text: string;
  choices: string[];
  /** Where in the flows the message was produced (null for staff messages). */
  flowId: string | null;
  nodeId: string | null;
  /** The message asks for a phone number: channels that can, offer to share it. */
  input?: 'phone' | null;
}

/** What a channel looking back at its history needs to recognise a message it may have sent. */
export interface DeliveryCheck {
  /** When the message was stored: nothing sent before it can be it. */
  createdAt: Date;
  /** The last message to this person recorded as delivered, to anchor the search (null: none yet). */
  previous: Pick<OutboundMessage, 'text' | 'choices'> | null;
}

/** What a channel can render; the outbound layer adapts messages to it. */
export interface ChannelCapabilities {
  /** Tappable choices (Telegram inline keyboards, WhatsApp buttons, web chat buttons). */
  buttons: boolean;
  /** Most choices one message can carry as buttons; beyond it they become a numbered list. */
  maxButtons: number;
  /** Longest text one message may carry; longer texts are split. */
  maxTextLength: number;
}

/** Called by an adapter for every inbound message; resolves once the message is safely stored. */
export type InboundHandler = (message: InboundMessage) => Promise<void>;

/**
 * The port every channel implements (Telegram, WhatsApp, the web chat, test stand-ins). One
 * conformance suite runs against all of them.
 */
export interface ChannelAdapter {
  readonly channel: ChannelName;
  readonly capabilities: ChannelCapabilities;
  /** Starts receiving; every inbound message goes to `onMessage` before it is acknowledged. */
  start(onMessage: InboundHandler): Promise<void>;
  /** Delivers one message; throws a ChannelSendError when the channel refuses it. */
  send(message: OutboundMessage): Promise<void>;
  /**
   * Optional, for channels whose history can be read back: whether `message` already reached the
   * beneficiary although its sender died before recording it (the one gap an at-least-once sender
   * cannot close alone). Answer true only when sure; false means «send it».
   */
  wasDelivered?(message: OutboundMessage, context: DeliveryCheck): Promise<boolean>;
  stop(): Promise<void>;
}
