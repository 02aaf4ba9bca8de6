import type { Kysely } from 'kysely';
import type { ActionHandler, ConversationMode } from '../engine/actions.js';
import { parseConversationState } from '../engine/conversation-state.js';
import { LOCALES, type Locale, type MessageCatalog } from '../engine/i18n.js';
import { type ConversationEngine, type EngineEvent, initialState } from '../engine/runtime.js';
import {
  type ConversationTurn,
  createConversation,
  type LockedConversation,
  lockIdentity,
  lockOpenConversation,
} from '../storage/repositories/conversations.js';
import type { FollowUpWrites } from '../storage/repositories/follow-ups.js';
import type { ThrottlePolicy } from '../storage/repositories/lookup-throttle.js';
import type { OutboundRecord } from '../storage/repositories/messages.js';
import { type StoredReply, saveTurn } from '../storage/repositories/turns.js';
import type { ChannelIdentity, Database } from '../storage/schema.js';
import { createTurnActions, type FollowUpHooks } from './turn-actions.js';

export interface EventDependencies {
  engine: ConversationEngine;
  catalog: MessageCatalog;
  throttle: ThrottlePolicy;
  defaultLocale: Locale;
  followUps?: FollowUpHooks | undefined;
}

const isLocale = (value: string): value is Locale => (LOCALES as readonly string[]).includes(value);

/**
 * The identity a contact last wrote from and can still be reached on: where a notice about
 * their request goes («on the channel they last used»).
 */
export async function lastReachableIdentity(
  db: Kysely<Database>,
  contactId: string,
): Promise<ChannelIdentity | undefined> {
  return db
    .selectFrom('channel_identities')
    .selectAll()
    .where('contact_id', '=', contactId)
    .where('unreachable_at', 'is', null)
    .orderBy('last_seen_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Locks the identity's open conversation, opening a new one if the last was closed. Same lock
 * order as an inbound message: the row if it exists, else the identity's advisory lock.
 */
export async function lockConversationOf(
  db: Kysely<Database>,
  identity: ChannelIdentity,
  locale: Locale,
): Promise<LockedConversation> {
  const open = await lockOpenConversation(db, identity.id);
  if (open) return open;
  await lockIdentity(db, identity.channel, identity.external_id);
  const existing = await lockOpenConversation(db, identity.id);
  if (existing) return existing;
  const created = await createConversation(db, {
    contactId: identity.contact_id,
    identityId: identity.id,
    channel: identity.channel,
    locale,
    state: initialState(),
  });
  return { ...created, identity_phone: identity.phone_e164 };
}

/** How an event runs: the mode it sees (default the conversation's), and follow-up writes to carry. */
export interface EventOptions {
  mode?: ConversationMode | undefined;
  /** Written in the statement that stores the turn (saveTurn): a follow-up run finishing its row. */
  followUpWrites?: FollowUpWrites | undefined;
  /** Nothing runs after it in the transaction: the turn's statement carries the COMMIT. */
  endsTransaction?: boolean | undefined;
}

/** The fields of a conversation an event reads. */
export type EventConversation = Pick<
  LockedConversation,
  'id' | 'contact_id' | 'channel' | 'mode' | 'locale' | 'state'
>;

/** What an event made of a conversation: its new state, and the bot's messages pending delivery. */
export interface PlannedEvent {
  turn: ConversationTurn;
  replies: OutboundRecord[];
}

/**
 * Runs an engine event (a follow-up, a hand-back) on a conversation, without writing anything:
 * what the turn would store. `actions` runs the flow's actions (by default those of the turn's
 * transaction, `db`).
 */
export async function planEvent(
  db: Kysely<Database>,
  deps: EventDependencies,
  conversation: EventConversation,
  event: EngineEvent,
  now: Date,
  options: { mode?: ConversationMode | undefined; actions?: ActionHandler | undefined } = {},
): Promise<PlannedEvent> {
  const mode = options.mode ?? conversation.mode;
  const locale = isLocale(conversation.locale) ? conversation.locale : deps.defaultLocale;
  const state = parseConversationState(conversation.state);
  const turn = await deps.engine.handleEvent({
    event,
    now,
    state,
    mode,
    locale,
    actions:
      options.actions ??
      createTurnActions({
        db,
        contactId: conversation.contact_id,
        conversationId: conversation.id,
        catalog: deps.catalog,
        throttle: deps.throttle,
        position: { flowId: state.flowId, nodeId: state.nodeId },
        followUps: deps.followUps,
      }),
  });
  return {
    turn: {
      mode: turn.mode,
      flowId: turn.state.flowId,
      nodeId: turn.state.nodeId,
      state: turn.state,
      locale: turn.locale,
      at: now,
    },
    replies: turn.replies.map((reply, position) => ({
      conversationId: conversation.id,
      channel: conversation.channel,
      sender: 'bot',
      text: reply.text,
      choices: reply.choices,
      flowId: reply.flowId,
      nodeId: reply.nodeId,
      replyToId: null,
      position,
      deliveryStatus: 'pending',
      inputHint: reply.input ?? null,
    })),
  };
}

/**
 * Runs an engine event (a follow-up, a hand-back) on a locked conversation and stores the
 * bot's replies as pending, for the outbound queue. Returns them in order.
 */
export async function applyEvent(
  db: Kysely<Database>,
  deps: EventDependencies,
  conversation: LockedConversation,
  event: EngineEvent,
  now: Date,
  options: EventOptions = {},
): Promise<StoredReply[]> {
  const planned = await planEvent(db, deps, conversation, event, now, { mode: options.mode });
  const saved = await saveTurn(db, conversation.id, planned.turn, planned.replies, options.followUpWrites, {
    endsTransaction: options.endsTransaction ?? false,
  });
  return saved.replies;
}
