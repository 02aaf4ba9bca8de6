import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Telegraf } from 'telegraf';
import type { InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update } from 'telegraf/types';
import type { Locale, MessageCatalog } from '../../engine/i18n.js';
import { type Logger, safeError } from '../../logger.js';
import type { ChannelHealth } from '../health.js';
import { renderReply } from '../render.js';
import type { ChannelSendError } from '../send-error.js';
import type {
  ChannelAdapter,
  ChannelCapabilities,
  InboundHandler,
  InboundMessage,
  OutboundMessage,
} from '../types.js';
import { BoundedMap } from './bounded.js';
import { describeStartError, toSendError } from './errors.js';
import { inlineKeyboard, labelFromMarkup, shareContactKeyboard } from './markup.js';
import { classifyUpdate } from './to-inbound.js';

export { describeStartError, toSendError } from './errors.js';
export { callbackData, inlineKeyboard, labelFromMarkup } from './markup.js';
export { classifyUpdate, type TelegramUpdate } from './to-inbound.js';

export interface TelegramChannelOptions {
  token: string;
  /** TELEGRAM_API_ROOT: api.telegram.org, a local Bot API server, or telegram-test-api. */
  apiRoot: string;
  /**
   * Webhook mode: the POST route (the URL's path) is registered on `app` when the adapter is
   * created, so before the server listens; `start` then calls setWebhook with the secret.
   * Without a secret a random one is made for the process: requests are always verified.
   */
  webhook?: { url: string; secret: string | undefined; app: FastifyInstance };
  logger: Logger;
  health: ChannelHealth;
  catalog: MessageCatalog;
  /** Least time between two messages sent, all chats together (Telegram allows ~30/s); 35 ms. */
  minSendIntervalMs?: number;
}

/** The Telegram adapter; `handleUpdate` is the one entry both polling and the webhook use. */
export interface TelegramAdapter extends ChannelAdapter {
  /** Handles one update; resolves once any message in it is stored, rejects if it could not be. */
  handleUpdate(update: Update): Promise<void>;
}

export const TELEGRAM_CAPABILITIES: ChannelCapabilities = {
  buttons: true,
  maxButtons: 12,
  maxTextLength: 4096,
};

/** The updates the bot asks Telegram for; edits, reactions, members… are never fetched. */
// No channel_post: in a channel a reply would be a public post, so the bot stays silent there.
const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

/**
 * Locale keys of the adapter's own lines (everything else comes from the flows). The expired-
 * button notice is optional: without it the press is answered silently.
 */
export const TELEGRAM_KEYS = {
  privateOnly: 'telegram.private_only',
  sharePhone: 'telegram.share_phone',
  buttonExpired: 'telegram.button_expired',
} as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The language of a text we send, to label the buttons under it alike. */
function localeOf(text: string | undefined): Locale {
  return text === undefined || /\p{Script=Arabic}/u.test(text) ? 'ar' : 'en';
}

function sameSecret(expected: Buffer, given: unknown): boolean {
  const value = Array.isArray(given) ? given[0] : given;
  if (typeof value !== 'string') return false;
  const buffer = Buffer.from(value);
  return buffer.length === expected.length && timingSafeEqual(buffer, expected);
}

function isUpdate(body: unknown): body is Update {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { update_id?: unknown }).update_id === 'number'
  );
}

type ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove;

/**
 * Telegram through telegraf: long polling by default, a webhook on the app's HTTP server when
 * configured. Private chats only. Every message is handed to the inbox and awaited before the
 * update counts as handled, one at a time per chat; replies go out as plain text (no parse mode,
 * so nothing a person typed can inject markup) with choices as inline buttons.
 */
class TelegramChannel implements TelegramAdapter {
  readonly channel = 'telegram' as const;
  readonly capabilities = TELEGRAM_CAPABILITIES;

  private readonly bot: Telegraf;
  private readonly log: Logger;
  private onMessage: InboundHandler | undefined;
  private polling: Promise<void> | undefined;
  private pollingSettled = false;
  private acceptingWebhook = false;
  private stopping = false;
  private readonly webhookSecret: Buffer | undefined;

  /** Per chat, the update being handled: a chat's updates are handled in the order received. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Callback data → button label, for presses whose callback carries no keyboard. */
  private readonly buttonLabels = new BoundedMap<string, string>(20_000);
  /** Chats that were shown the «share my number» keyboard and not yet told to hide it. */
  private readonly replyKeyboards = new BoundedMap<string, true>(100_000);
  /** Groups and channels already told that the bot serves private chats only. */
  private readonly greeted = new BoundedMap<string, true>(10_000);
  /** Parts of a long message already sent, so a retried send does not repeat them. */
  private readonly partsSent = new BoundedMap<string, number>(10_000);
  private nextSendAt = 0;

  constructor(private readonly options: TelegramChannelOptions) {
    this.log = options.logger;
    this.bot = new Telegraf(options.token, { telegram: { apiRoot: options.apiRoot } });
    // Never telegraf's default handler: it prints the whole update (names, text) and exits.
    this.bot.catch((error) => {
      this.log.error({ err: safeError(error) }, 'telegram update handler failed');
    });
    // A message that could not be stored is logged where it failed; polling goes on regardless.
    this.bot.use((ctx) => this.handleUpdate(ctx.update).catch(() => undefined));
    if (options.webhook) {
      const secret = options.webhook.secret ?? randomBytes(32).toString('hex');
      this.webhookSecret = Buffer.from(secret);
      this.registerWebhookRoute(options.webhook.app, new URL(options.webhook.url).pathname);
    }
    options.health.set('telegram', 'starting');
  }

  async start(onMessage: InboundHandler): Promise<void> {
    if (this.onMessage) throw new Error('the Telegram channel is already started');
    const { health } = this.options;
    health.set('telegram', 'starting');
    this.stopping = false;
    try {
      this.bot.botInfo = await this.bot.telegram.getMe();
      if (this.options.webhook && this.webhookSecret) {
        await this.bot.telegram.setWebhook(this.options.webhook.url, {
          secret_token: this.webhookSecret.toString(),
          drop_pending_updates: false,
          allowed_updates: [...ALLOWED_UPDATES],
        });
      }
    } catch (error) {
      const reason = describeStartError(error, this.options.apiRoot);
      health.set('telegram', 'down', reason);
      this.log.error({ reason }, 'telegram channel could not start');
      throw new Error(`Telegram: ${reason}`);
    }
    this.onMessage = onMessage;

    if (this.options.webhook) {
      this.acceptingWebhook = true;
      if (this.options.webhook.secret === undefined) {
        this.log.warn('TELEGRAM_WEBHOOK_SECRET is not set: a random secret is used for this process');
      }
      this.log.info({ mode: 'webhook' }, 'telegram channel started');
    } else {
      this.pollingSettled = false;
      // launch() resolves only when polling stops: it runs on, and its end is reported.
      this.polling = this.bot
        .launch({ dropPendingUpdates: false, allowedUpdates: [...ALLOWED_UPDATES] })
        .then(
          () => {
            if (!this.stopping) health.set('telegram', 'down', 'long polling stopped');
          },
          (error: unknown) => {
            const reason = describeStartError(error, this.options.apiRoot);
            health.set('telegram', 'down', `long polling failed: ${reason}`);
            this.log.error({ reason }, 'telegram long polling failed');
          },
        )
        .finally(() => {
          this.pollingSettled = true;
        });
      this.log.info({ mode: 'polling' }, 'telegram channel started');
    }
    health.set('telegram', 'up');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.acceptingWebhook = false;
    if (this.polling) {
      // launch() only becomes stoppable once it has cleared the webhook and begun polling.
      for (let waited = 0; !this.pollingSettled; waited += 20) {
        try {
          this.bot.stop('shutdown');
          break;
        } catch {
          if (waited >= 5000) break;
          await sleep(20);
        }
      }
      await this.polling;
      this.polling = undefined;
    }
    // Messages being stored finish first: nothing half-handled is left behind.
    await Promise.all([...this.chains.values()]);
    this.onMessage = undefined;
    this.options.health.set('telegram', 'off', 'stopped');
  }

  async send(message: OutboundMessage): Promise<void> {
    const chatId = message.externalUserId;
    const rendered = renderReply(message.text, message.choices, this.capabilities);
    const texts = rendered.texts.filter((text) => text.trim() !== '');
    if (texts.length === 0) return;
    const inline = rendered.buttons.length > 0 ? inlineKeyboard(message.id, rendered.buttons) : undefined;
    if (inline) {
      for (const row of inline.inline_keyboard)
        for (const button of row)
          if ('callback_data' in button) this.buttonLabels.set(button.callback_data, button.text);
    }
    const askPhone = message.input === 'phone' && !inline;

    for (let part = this.partsSent.get(message.id) ?? 0; part < texts.length; part++) {
      const last = part === texts.length - 1;
      let markup: ReplyMarkup | undefined;
      if (last && inline) markup = inline;
      else if (last && askPhone)
        markup = shareContactKeyboard(
          this.options.catalog.format(localeOf(message.text), TELEGRAM_KEYS.sharePhone),
        );
      else if (!askPhone && this.replyKeyboards.has(chatId)) markup = { remove_keyboard: true };

      await this.sendText(chatId, texts[part] as string, markup, message.id);
      if (markup && 'keyboard' in markup) this.replyKeyboards.set(chatId, true);
      else if (markup && 'remove_keyboard' in markup) this.replyKeyboards.delete(chatId);
      if (!last) this.partsSent.set(message.id, part + 1);
    }
    this.partsSent.delete(message.id);
  }

  async handleUpdate(update: Update): Promise<void> {
    const event = classifyUpdate(update);
    switch (event.kind) {
      case 'ignored':
        if (event.callbackId) await this.answerButton(event.callbackId);
        return;
      case 'not_private':
        if (event.callbackId) await this.answerButton(event.callbackId);
        await this.tellGroup(event.chatId);
        return;
      case 'message':
        return this.inChat(event.chatId, () => this.deliver(event.message, update.update_id));
      case 'button': {
        const label = labelFromMarkup(event.markup, event.data) ?? this.buttonLabels.get(event.data);
        // Always answered, so the button stops spinning; an unknown button says why nothing happens.
        await this.answerButton(event.callbackId, label === undefined ? this.expiredNotice() : undefined);
        if (label === undefined) return;
        return this.inChat(event.chatId, async () => {
          await this.deliver({ ...event.message, text: label }, update.update_id);
          // Its buttons are spent: removing them keeps an old menu from being pressed again.
          if (event.messageId !== undefined) {
            await this.bot.telegram
              .editMessageReplyMarkup(event.chatId, event.messageId, undefined, undefined)
              .catch(() => undefined);
          }
        });
      }
    }
  }

  // ── internals ──────────────────────────────────────────────────────────────

  private async deliver(message: InboundMessage, updateId: number): Promise<void> {
    const onMessage = this.onMessage;
    if (!onMessage) throw new Error('the Telegram channel is not started');
    try {
      await onMessage(message);
    } catch (error) {
      this.log.error({ err: safeError(error), updateId }, 'telegram message could not be stored');
      throw error;
    }
  }

  /** Runs `task` after the chat's previous update; different chats run side by side. */
  private inChat(chatId: string, task: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(chatId) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.catch(() => undefined);
    this.chains.set(chatId, tail);
    void tail.then(() => {
      if (this.chains.get(chatId) === tail) this.chains.delete(chatId);
    });
    return run;
  }

  /** Shown when a button's label cannot be found (an old message, a restart): type instead. */
  private expiredNotice(): string | undefined {
    const { catalog } = this.options;
    return catalog.has('ar', TELEGRAM_KEYS.buttonExpired)
      ? catalog.format('ar', TELEGRAM_KEYS.buttonExpired)
      : undefined;
  }

  private async answerButton(callbackId: string, text?: string): Promise<void> {
    try {
      await this.bot.telegram.answerCbQuery(callbackId, text);
    } catch (error) {
      // Too old to answer, or answered already (a redelivery): nothing to do about it.
      const failure = toSendError(error);
      this.log.debug({ kind: failure.kind, code: failure.details.code }, 'callback query not answered');
    }
  }

  /** One polite line per group or channel (per process); what is written there is never read. */
  private async tellGroup(chatId: string): Promise<void> {
    if (this.greeted.has(chatId)) return;
    this.greeted.set(chatId, true);
    try {
      await this.sendText(chatId, this.options.catalog.format('ar', TELEGRAM_KEYS.privateOnly), undefined);
    } catch {
      // Logged by sendText; a group that does not let the bot speak is simply left alone.
    }
  }

  private async sendText(
    chatId: string,
    text: string,
    markup: ReplyMarkup | undefined,
    messageId?: string,
  ): Promise<void> {
    await this.pace();
    try {
      await this.bot.telegram.sendMessage(chatId, text, markup ? { reply_markup: markup } : {});
    } catch (error) {
      const failure: ChannelSendError = toSendError(error);
      this.log.warn(
        { kind: failure.kind, code: failure.details.code, reason: failure.message, messageId },
        'telegram refused a message',
      );
      throw failure;
    }
  }

  /** Spaces sends out (all chats together) so the bot stays under Telegram's global limit. */
  private async pace(): Promise<void> {
    const interval = this.options.minSendIntervalMs ?? 35;
    const now = Date.now();
    const at = Math.max(now, this.nextSendAt);
    this.nextSendAt = at + interval;
    if (at > now) await sleep(at - now);
  }

  private registerWebhookRoute(app: FastifyInstance, path: string): void {
    const secret = this.webhookSecret;
    app.post(
      path,
      {
        // An update quoting a 4,096-character message, JSON-escaped, exceeds the web chat's limit.
        bodyLimit: 1024 * 1024,
        // Checked before the body is even read: only Telegram knows the secret.
        onRequest: async (request, reply) => {
          if (!secret || !sameSecret(secret, request.headers[SECRET_HEADER])) {
            return reply.status(401).send({ error: 'unauthorized' });
          }
        },
      },
      async (request, reply) => {
        // Not started yet (or stopping): Telegram keeps the update and retries.
        if (!this.acceptingWebhook) return reply.status(503).send({ error: 'unavailable' });
        if (!isUpdate(request.body)) return reply.status(400).send({ error: 'invalid_update' });
        try {
          await this.handleUpdate(request.body);
        } catch {
          // Not stored (already logged): a 500 makes Telegram deliver the update again later.
          return reply.status(500).send({ error: 'internal_error' });
        }
        return reply.status(200).send({ ok: true });
      },
    );
  }
}

/** Creates the Telegram adapter (and, in webhook mode, its route: call before the server listens). */
export function createTelegramAdapter(options: TelegramChannelOptions): TelegramAdapter {
  return new TelegramChannel(options);
}
