import type { Kysely } from 'kysely';
import type { InboundMessage, OutboundMessage } from '../channels/types.js';
import { parseSaudiMobile } from '../domain/phone.js';
import { isWithinWorkingHours, nextOpening, type WorkingHours } from '../domain/working-hours.js';
import type { ActionHandler, ActionRequest } from '../engine/actions.js';
import { parseConversationState } from '../engine/conversation-state.js';
import { LOCALES, type Locale, type MessageCatalog } from '../engine/i18n.js';
import {
  type BotReply,
  type ConversationEngine,
  type ConversationState,
  hasQuestionAhead,
  initialState,
  type TurnResult,
} from '../engine/runtime.js';
import type { FollowUpPolicy } from '../jobs/follow-up-policy.js';
import { type Logger, safeError } from '../logger.js';
import type { TurnMetrics, TurnOutcome } from '../observability/metrics.js';
import { resolveIdentity, setContactLocale, touchIdentity } from '../storage/repositories/contacts.js';
import {
  createConversation,
  createFirstConversation,
  type LockedConversation,
  lockIdentity,
  lockOpenConversation,
  lockOpenConversationStoringInbound,
} from '../storage/repositories/conversations.js';
import type { ThrottlePolicy } from '../storage/repositories/lookup-throttle.js';
import {
  findInbound,
  insertInbound,
  type OutboundRecord,
  repliesTo,
} from '../storage/repositories/messages.js';
import type { PlannedRequest } from '../storage/repositories/requests.js';
import { type StoredReply, saveTurn } from '../storage/repositories/turns.js';
import type {
  ChannelIdentity,
  ChannelName,
  Contact,
  Database,
  DeliveryStatus,
  FollowUp,
  Message,
} from '../storage/schema.js';
import { isTransientTransactionError } from '../storage/transient-errors.js';
import { formatSaudiDateTime } from '../text/dates.js';
import { RecentMap } from './recent-map.js';
import { createTurnActions } from './turn-actions.js';
import { TurnBatcher } from './turn-batcher.js';

export interface InboxOptions {
  db: Kysely<Database>;
  engine: ConversationEngine;
  catalog: MessageCatalog;
  logger: Logger;
  throttle: ThrottlePolicy;
  defaultLocale: Locale;
  /**
   * Channels whose replies are delivered in the response to the inbound request (web chat,
   * simulator): stored as sent. Others are stored pending for the outbound dispatcher.
   */
  inlineDelivery: ReadonlySet<ChannelName>;
  /** Which follow-ups a turn calls for (written in the turn's transaction). */
  followUps?: FollowUpPolicy | undefined;
  /** Staff hours: a handoff outside them says when staff are back. */
  workingHours?: WorkingHours | undefined;
  /**
   * Runs once a turn has committed: queue its follow-ups and the delivery of its replies.
   * A failure here is logged, never lost: the rows are stored, and the sweeps pick them up.
   */
  afterCommit?: ((result: InboxResult) => Promise<void>) | undefined;
  /** Counts every inbound message and times its turn (GET /metrics). */
  metrics?: TurnMetrics | undefined;
  /**
   * The database is a PostgreSQL server, not PGlite on this thread: turn statements overlap
   * with this process's work (TurnBatcherOptions.overlap).
   */
  databaseIsServer?: boolean | undefined;
}

export interface InboxResult {
  /** The channel had already delivered this message; nothing was processed again. */
  duplicate: boolean;
  conversationId: string;
  inboundId: string;
  /** The bot's replies (on a duplicate: the replies stored the first time). */
  replies: OutboundMessage[];
  /** Whether the replies wait for the outbound queue (not delivered in the response). */
  pendingDelivery: boolean;
  /** Follow-ups the turn scheduled. */
  followUps: FollowUp[];
}

const IDENTITY_CACHE_SIZE = 50_000;
/**
 * Conversations remembered after a turn, to run the next turn in one statement. Bounded in
 * number and in time: a remembered state holds the beneficiary's answers, and a conversation
 * quiet for a quarter of an hour is read again from the database anyway.
 */
const CONVERSATION_CACHE_SIZE = 10_000;
const CONVERSATION_CACHE_MAX_AGE_MS = 15 * 60_000;
/** A turn the database asked to run again (see isTransientTransactionError) gets this many tries. */
const MAX_TURN_ATTEMPTS = 3;

/** What the inbox remembers of a channel identity: it decides whether the fast path applies. */
interface RememberedIdentity {
  id: string;
  phone: string | null;
}

/** The fields of a conversation a turn reads. */
type ConversationView = Pick<
  LockedConversation,
  'id' | 'contact_id' | 'mode' | 'locale' | 'state' | 'identity_phone'
>;

/** A conversation as the inbox's last turn in it left it, and the version it wrote. */
interface RememberedConversation extends ConversationView {
  version: string;
  /**
   * The state as that turn stored it. Each turn parses its own copy (the engine works on it);
   * written by this release's engine, it needs no validation, unlike a state read from the row.
   */
  stateJson: string;
}

/** An action that writes was called while the turn ran outside a transaction: lock instead. */
class NeedsTransactionError extends Error {
  constructor() {
    super('the turn calls an action that writes, which runs inside the locking transaction');
  }
}

/** One instance, thrown every time: it carries no detail, and building a stack trace costs. */
const NEEDS_TRANSACTION = new NeedsTransactionError();

/**
 * Actions a turn without a transaction can run. A look-up only reads committed data, and the turn
 * applies only if the conversation is still at its version; a request is not created by the
 * action but planned, and created by the statement that saves the turn, with it or not at all.
 * Any other action sends the turn down the locking path.
 */
const UNLOCKED_ACTIONS: ReadonlySet<ActionRequest['name']> = new Set(['lookup_requests', 'create_request']);

/** The remembered identity no longer matched the database: the turn is run again from scratch. */
class StaleIdentityError extends Error {
  constructor() {
    super('channel identity changed since it was remembered');
  }
}

/**
 * What the channel vouches for about the sender, offered to flows: a Saudi mobile number from
 * WhatsApp (or a shared Telegram contact) lets the intake confirm it instead of asking to type it.
 */
function senderContext(phone: string | null): Record<string, string> {
  const mobile = phone ? parseSaudiMobile(phone) : undefined;
  return mobile ? { channel_phone: mobile } : {};
}

const isLocale = (value: string): value is Locale => (LOCALES as readonly string[]).includes(value);

/** The key both of the inbox's caches use: one channel identity. */
const identityKey = (message: InboundMessage) => `${message.channel}:${message.externalUserId}`;

interface PlannedTurn {
  /** The state the turn started from. */
  state: ConversationState;
  turn: TurnResult;
}

/**
 * The inbox: every inbound message, from any channel, is stored and handled here in ONE
 * transaction that holds the conversation's lock, so two messages from one person never race
 * (across processes too), a redelivered message is recognised, and a reply is stored together
 * with the state change that produced it. Most turns are that transaction's only statement
 * (handleAtRememberedVersion); the rest lock first, then read, run and write (handle).
 */
export class Inbox {
  /** channel:externalUserId → channel identity, to skip the identity look-up on most messages. */
  private readonly identities = new Map<string, RememberedIdentity>();
  /** channel:externalUserId → its open conversation after this inbox's last turn in it. */
  private readonly conversations = new RecentMap<string, RememberedConversation>(
    CONVERSATION_CACHE_SIZE,
    CONVERSATION_CACHE_MAX_AGE_MS,
  );

  /** Writes the one-statement turns, several conversations' at once when they come together. */
  private readonly versionedTurns: TurnBatcher;

  /** hoursContext's answer for the latest minute asked, per language. */
  private readonly hoursByMinute = new Map<Locale, { minute: number; context: Record<string, string> }>();

  constructor(private readonly options: InboxOptions) {
    this.versionedTurns = new TurnBatcher(options.db, { overlap: options.databaseIsServer ?? false });
  }

  async receive(message: InboundMessage): Promise<InboxResult> {
    const started = performance.now();
    const observe = (outcome: TurnOutcome, replies: number) =>
      this.options.metrics?.turn({
        channel: message.channel,
        outcome,
        seconds: (performance.now() - started) / 1000,
        replies,
      });
    let result: InboxResult;
    let recovered: boolean;
    try {
      ({ result, recovered } = await this.process(message));
    } catch (error) {
      observe('failed', 0);
      throw error;
    }
    observe(
      result.duplicate ? 'duplicate' : recovered ? 'recovered' : 'handled',
      result.duplicate ? 0 : result.replies.length,
    );
    if (this.options.afterCommit && !result.duplicate) {
      await this.options.afterCommit(result).catch((error: unknown) => {
        this.options.logger.error(
          { err: safeError(error) },
          'queuing after a turn failed; the sweeps will pick it up',
        );
      });
    }
    return result;
  }

  private async process(message: InboundMessage): Promise<{ result: InboxResult; recovered: boolean }> {
    const direct = await this.handleAtRememberedVersion(message);
    if (direct) return { result: direct, recovered: false };
    const run = async (recovering: boolean) => {
      const { result, remember } = await this.options.db
        .transaction()
        .execute((trx) => this.handle(trx, message, recovering));
      // Only once committed: a version that was rolled back would just never match, but why try.
      if (remember) this.conversations.set(identityKey(message), remember);
      return { result, recovered: recovering };
    };
    for (let attempt = 1; ; attempt++) {
      try {
        return await run(false);
      } catch (error) {
        // The remembered identity was out of date, or the database asked for the transaction
        // again (a deadlock's victim, a stale prepared statement): it rolled back whole, so run
        // the turn again rather than answer with an apology.
        const again = error instanceof StaleIdentityError || isTransientTransactionError(error);
        if (again && attempt < MAX_TURN_ATTEMPTS) continue;
        // A flow or engine failure must not lose the message: store it with an apology and send
        // the conversation back to the menu, so the beneficiary is not stuck in a failing node.
        this.options.logger.error(
          { err: safeError(error), channel: message.channel },
          'inbound message could not be handled by the engine; stored with an apology',
        );
        return run(true);
      }
    }
  }

  /**
   * The common turn without a transaction around it: the conversation as this inbox's last turn
   * left it is run through the engine first, then ONE statement stores the message, the new
   * state and the replies — if the conversation is still at that version (see
   * saveTurnsAtVersion, which may write other conversations' turns in the same statement), with
   * the intake's follow-ups it starts afresh, and the request it confirmed (UNLOCKED_ACTIONS: a
   * look-up of the beneficiary's requests runs as part of it too). Undefined when it cannot be
   * done that way, with nothing written: nothing remembered, an action that writes in the turn's
   * transaction, a wait for staff starting or ending, a new language, a new phone from the
   * channel, a redelivery, or a conversation changed since. The locking path runs then.
   */
  private async handleAtRememberedVersion(message: InboundMessage): Promise<InboxResult | undefined> {
    const key = identityKey(message);
    const remembered = this.conversations.get(key);
    if (!remembered) return undefined;
    if (message.verifiedPhone && message.verifiedPhone !== remembered.identity_phone) return undefined;
    const now = message.receivedAt ?? new Date();
    let planned: PlannedTurn;
    const writes: { request?: PlannedRequest } = {};
    try {
      planned = await this.planTurn(
        remembered,
        message,
        now,
        (state) => this.unlockedActions(remembered, state, writes),
        false,
      );
    } catch {
      // An action (or an engine failure, which the locking path reports): run it that way.
      return undefined;
    }
    const { state, turn } = planned;
    if (turn.locale !== remembered.locale) return undefined;
    const policy = this.options.followUps;
    const followUpWrites = policy ? policy.inlineWrites(this.turnChange(remembered, state, turn, now)) : {};
    if (!followUpWrites) return undefined;
    const replies = this.outboundRecords(remembered, message.channel, null, turn.replies);
    const stateJson = JSON.stringify(turn.state);
    const saved = await this.versionedTurns
      .save({
        conversationId: remembered.id,
        version: remembered.version,
        identityPhone: remembered.identity_phone,
        inbound: {
          channel: message.channel,
          externalId: message.externalMessageId,
          text: message.text,
          mediaKind: message.mediaKind ?? null,
        },
        turn: { ...this.conversationTurn(turn, now), stateJson },
        replies,
        restart: followUpWrites.restart,
        request: writes.request,
      })
      .catch((error: unknown) => {
        // Nothing of a failed statement stays; the locking path runs it again, or reports why not.
        this.options.logger.debug({ err: safeError(error) }, 'one-statement turn failed; locking instead');
        return { applied: false as const };
      });
    if (!saved.applied) {
      this.conversations.delete(key);
      return undefined;
    }
    this.conversations.set(key, this.remembered(remembered, turn, saved.version, stateJson));
    return this.result(message, remembered.id, saved.inboundId, saved.replies, saved.scheduled);
  }

  /**
   * The actions a turn outside a transaction may run (UNLOCKED_ACTIONS); any other sends it down
   * the locking path. A request confirmed is planned into `writes`, once per turn.
   */
  private unlockedActions(
    conversation: ConversationView,
    state: ConversationState,
    writes: { request?: PlannedRequest },
  ): ActionHandler {
    const actions = createTurnActions({
      ...this.actionContext(this.options.db, conversation, state),
      // Only for the follow-ups a new request starts with: a planned request schedules nothing
      // itself, the statement saving the turn returns the rows it wrote.
      followUps: this.options.followUps?.hooks([]),
      planRequest: (planned) => {
        if (writes.request) throw NEEDS_TRANSACTION;
        writes.request = planned;
      },
    });
    return async (request) => {
      if (!UNLOCKED_ACTIONS.has(request.name)) throw NEEDS_TRANSACTION;
      return actions(request);
    };
  }

  private turnActions(
    db: Kysely<Database>,
    conversation: ConversationView,
    state: ConversationState,
    scheduled: FollowUp[] | undefined,
  ): ActionHandler {
    return createTurnActions({
      ...this.actionContext(db, conversation, state),
      followUps: scheduled && this.options.followUps?.hooks(scheduled),
    });
  }

  private actionContext(db: Kysely<Database>, conversation: ConversationView, state: ConversationState) {
    return {
      db,
      contactId: conversation.contact_id,
      conversationId: conversation.id,
      catalog: this.options.catalog,
      throttle: this.options.throttle,
      position: { flowId: state.flowId, nodeId: state.nodeId },
    };
  }

  private async handle(
    trx: Kysely<Database>,
    message: InboundMessage,
    recovering: boolean,
  ): Promise<{ result: InboxResult; remember?: RememberedConversation | undefined }> {
    const now = message.receivedAt ?? new Date();
    const { conversation, inbound } = await this.lockAndStore(trx, message, now);
    if (!inbound) return { result: await this.replayDuplicate(trx, message, conversation.id) };

    const scheduled: FollowUp[] = [];
    const actions = (state: ConversationState) => this.turnActions(trx, conversation, state, scheduled);
    const { state, turn } = await this.planTurn(conversation, message, now, actions, recovering);
    await this.options.followUps?.afterTurn(trx, this.turnChange(conversation, state, turn, now), scheduled);

    // The contact's language follows the conversation's: a new conversation starts in it.
    if (turn.locale !== conversation.locale)
      await setContactLocale(trx, conversation.contact_id, turn.locale);
    const saved = await saveTurn(
      trx,
      conversation.id,
      this.conversationTurn(turn, now),
      this.outboundRecords(conversation, message.channel, inbound.id, turn.replies),
      {},
      // The transaction's last statement (process runs nothing after handle): COMMIT goes with it.
      { endsTransaction: true },
    );
    return {
      result: this.result(message, conversation.id, inbound.id, saved.replies, scheduled),
      remember: saved.version
        ? this.remembered(conversation, turn, saved.version, JSON.stringify(turn.state))
        : undefined,
    };
  }

  /** What the engine (or the recovery, or the media notice) makes of the message. */
  private async planTurn(
    conversation: ConversationView | RememberedConversation,
    message: InboundMessage,
    now: Date,
    actionsFor: (state: ConversationState) => ActionHandler,
    recovering: boolean,
  ): Promise<PlannedTurn> {
    const locale = isLocale(conversation.locale) ? conversation.locale : this.options.defaultLocale;
    const state =
      'stateJson' in conversation
        ? (JSON.parse(conversation.stateJson) as ConversationState)
        : parseConversationState(conversation.state);
    const mediaOnly = Boolean(message.mediaKind) && message.text.trim() === '';
    const turn = recovering
      ? this.recoveryTurn(locale)
      : mediaOnly
        ? this.mediaTurn(conversation, state, locale, message.mediaKind as string)
        : await this.options.engine.handle({
            text: message.text,
            now,
            state,
            mode: conversation.mode,
            locale,
            context: { ...senderContext(conversation.identity_phone), ...this.hoursContext(now, locale) },
            actions: actionsFor(state),
          });
    return { state, turn };
  }

  private turnChange(conversation: ConversationView, state: ConversationState, turn: TurnResult, at: Date) {
    return {
      contactId: conversation.contact_id,
      conversationId: conversation.id,
      before: { flowId: state.flowId, mode: conversation.mode },
      after: {
        flowId: turn.state.flowId,
        mode: turn.mode,
        questionAhead:
          turn.state.flowId !== null &&
          turn.state.nodeId !== null &&
          hasQuestionAhead(this.options.engine.flows, turn.state.flowId, turn.state.nodeId),
      },
      at,
    };
  }

  private conversationTurn(turn: TurnResult, at: Date) {
    return {
      mode: turn.mode,
      flowId: turn.state.flowId,
      nodeId: turn.state.nodeId,
      state: turn.state,
      locale: turn.locale,
      at,
      inbound: true,
    };
  }

  /** The conversation as a turn left it, with its state as stored (JSON). */
  private remembered(
    conversation: ConversationView,
    turn: TurnResult,
    version: string,
    stateJson: string,
  ): RememberedConversation {
    return {
      id: conversation.id,
      contact_id: conversation.contact_id,
      identity_phone: conversation.identity_phone,
      mode: turn.mode,
      locale: turn.locale,
      state: undefined,
      stateJson,
      version,
    };
  }

  private result(
    message: InboundMessage,
    conversationId: string,
    inboundId: string,
    stored: StoredReply[],
    followUps: FollowUp[],
  ): InboxResult {
    return {
      duplicate: false,
      conversationId,
      inboundId,
      pendingDelivery: stored.length > 0 && !this.options.inlineDelivery.has(message.channel),
      followUps,
      replies: stored.map((reply) => ({
        id: reply.id,
        conversationId: reply.conversationId,
        channel: reply.channel,
        externalUserId: message.externalUserId,
        text: reply.text,
        choices: reply.choices,
        flowId: reply.flowId,
        nodeId: reply.nodeId,
        input: reply.inputHint ?? null,
      })),
    };
  }

  /**
   * A picture, voice note or sticker without text: one clear line saying the bot reads text, and
   * the conversation stays where it was. While staff handle the conversation it is kept for them.
   */
  private mediaTurn(conversation: ConversationView, state: ConversationState, locale: Locale, kind: string) {
    const base = { mode: conversation.mode, locale, state };
    if (conversation.mode === 'waiting' || conversation.mode === 'staff') return { ...base, replies: [] };
    const reply: BotReply = {
      text: this.options.catalog.format(locale, 'system.unsupported_media', { kind }),
      choices: [],
      flowId: state.flowId ?? 'main_menu',
      nodeId: state.nodeId ?? 'unsupported_media',
    };
    return { ...base, replies: [reply] };
  }

  /**
   * Whether staff are in now, for the handoff's first message: outside working hours it says
   * so at once, and when they are back.
   */
  private hoursContext(now: Date, locale: Locale): Record<string, string> {
    // Working hours start and end on the minute, so every instant of one minute gets the same
    // answer: worked out once a minute per language (time zone arithmetic and date formatting
    // were a few per cent of the bot's CPU per message).
    const minute = Math.floor(now.getTime() / 60_000);
    const known = this.hoursByMinute.get(locale);
    if (known?.minute === minute) return known.context;
    const hours = this.options.workingHours;
    const context: Record<string, string> =
      !hours || isWithinWorkingHours(hours, now)
        ? { after_hours: 'no' }
        : { after_hours: 'yes', staff_back_at: formatSaudiDateTime(nextOpening(hours, now), locale) };
    this.hoursByMinute.set(locale, { minute, context });
    return context;
  }

  /** The turn used when the engine failed: an apology, and a clean slate at the main menu. */
  private recoveryTurn(locale: Locale) {
    const reply: BotReply = {
      text: this.options.catalog.format(locale, 'system.error'),
      choices: [this.options.catalog.format(locale, 'menu.choice.main_menu')],
      flowId: 'main_menu',
      nodeId: 'error',
    };
    return { mode: 'bot' as const, locale, state: initialState(), replies: [reply] };
  }

  private outboundRecords(
    conversation: ConversationView,
    channel: ChannelName,
    /** Null when the statement storing the inbound message fills it in (saveTurnsAtVersion). */
    inboundId: string | null,
    replies: BotReply[],
  ): OutboundRecord[] {
    const deliveryStatus: DeliveryStatus = this.options.inlineDelivery.has(channel) ? 'sent' : 'pending';
    return replies.map((reply, position) => ({
      conversationId: conversation.id,
      channel,
      sender: 'bot',
      text: reply.text,
      choices: reply.choices,
      flowId: reply.flowId,
      nodeId: reply.nodeId,
      replyToId: inboundId,
      position,
      deliveryStatus,
      inputHint: reply.input ?? null,
    }));
  }

  /**
   * Locks the sender's open conversation for the rest of the transaction and stores the inbound
   * message in it (undefined `inbound`: a redelivery), creating contact, identity and
   * conversation on a first message. The common case is ONE statement: the identity is
   * remembered, and its conversation row is locked FOR UPDATE while the message is inserted.
   * When there is no open conversation yet, or the channel vouches for a phone number the
   * identity does not have (to link identities), it takes the advisory lock on the identity
   * first (no row exists to lock) and looks again under it, so two processes never create two
   * conversations, and the locks are always taken in the same order.
   */
  private async lockAndStore(
    trx: Kysely<Database>,
    message: InboundMessage,
    now: Date,
  ): Promise<{ conversation: LockedConversation; inbound: { id: string } | undefined }> {
    const key = identityKey(message);
    const record = {
      channel: message.channel,
      externalId: message.externalMessageId,
      text: message.text,
      mediaKind: message.mediaKind ?? null,
      receivedAt: now,
    };
    const known = this.identities.get(key);
    const newPhone = Boolean(message.verifiedPhone) && message.verifiedPhone !== known?.phone;
    if (known && !newPhone) {
      const locked = await lockOpenConversationStoringInbound(trx, known.id, record);
      if (locked && locked.conversation.identity_phone === known.phone) return locked;
      // Another process changed the identity since it was remembered: forget it, start again.
      this.identities.delete(key);
      this.conversations.delete(key);
      if (locked) throw new StaleIdentityError();
    }
    await lockIdentity(trx, message.channel, message.externalUserId);
    const input = {
      channel: message.channel,
      externalId: message.externalUserId,
      displayName: message.displayName,
      verifiedPhone: message.verifiedPhone,
    };
    const existing = await touchIdentity(trx, input);
    if (!existing && !message.verifiedPhone) {
      // A new beneficiary with nothing to link by: everything in one statement.
      const first = await createFirstConversation(trx, {
        channel: message.channel,
        externalUserId: message.externalUserId,
        displayName: message.displayName ?? null,
        state: initialState(),
        inbound: record,
      });
      this.rememberIdentity(key, { id: first.conversation.identity_id, phone: null });
      return first;
    }
    const { contact, identity } = await resolveIdentity(trx, input, { existing });
    this.rememberIdentity(key, { id: identity.id, phone: identity.phone_e164 });
    const conversation =
      (await lockOpenConversation(trx, identity.id)) ?? (await this.newConversation(trx, contact, identity));
    const inbound = await insertInbound(trx, { ...record, conversationId: conversation.id });
    return { conversation, inbound };
  }

  private async newConversation(
    trx: Kysely<Database>,
    contact: Contact,
    identity: ChannelIdentity,
  ): Promise<LockedConversation> {
    const created = await createConversation(trx, {
      contactId: contact.id,
      identityId: identity.id,
      channel: identity.channel,
      locale: isLocale(contact.locale) ? contact.locale : this.options.defaultLocale,
      state: initialState(),
    });
    return { ...created, identity_phone: identity.phone_e164 };
  }

  private rememberIdentity(key: string, identity: RememberedIdentity): void {
    // A bounded map, oldest first out: identity ids never change, so this is only a cache.
    if (this.identities.size >= IDENTITY_CACHE_SIZE) {
      const oldest = this.identities.keys().next().value;
      if (oldest !== undefined) this.identities.delete(oldest);
    }
    this.identities.set(key, identity);
  }

  private async replayDuplicate(
    trx: Kysely<Database>,
    message: InboundMessage,
    conversationId: string,
  ): Promise<InboxResult> {
    const original = await findInbound(trx, message.channel, message.externalMessageId);
    if (!original) throw new Error('duplicate inbound message vanished');
    const replies = await repliesTo(trx, original.id);
    this.options.logger.info(
      { channel: message.channel, inboundId: original.id },
      'duplicate inbound message ignored',
    );
    return {
      duplicate: true,
      pendingDelivery: false,
      followUps: [],
      conversationId: original.conversation_id ?? conversationId,
      inboundId: original.id,
      replies: replies.map((row) => this.toOutbound(row, message.externalUserId)),
    };
  }

  private toOutbound(row: Message, externalUserId: string): OutboundMessage {
    return {
      id: row.id,
      conversationId: row.conversation_id,
      channel: row.channel,
      externalUserId,
      text: row.text,
      choices: row.choices,
      flowId: row.flow_id,
      nodeId: row.node_id,
      input: row.input_hint,
    };
  }
}
