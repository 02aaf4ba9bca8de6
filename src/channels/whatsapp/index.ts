import { createRequire } from 'node:module';
import type { Message } from 'whatsapp-web.js';
import type { MessageCatalog } from '../../engine/i18n.js';
import { type Logger, safeError } from '../../logger.js';
import type { ChannelHealth, ChannelState } from '../health.js';
import { renderReply } from '../render.js';
import { ChannelSendError } from '../send-error.js';
import type {
  ChannelAdapter,
  ChannelCapabilities,
  DeliveryCheck,
  InboundHandler,
  InboundMessage,
  OutboundMessage,
} from '../types.js';
import type { WhatsAppClient } from './client.js';
import { isClientGone, toSendError } from './errors.js';
import { Pacer } from './pacer.js';
import { isPersonJid, phoneOfJid, toInbound } from './to-inbound.js';

export {
  CHROMIUM_ARGS,
  createWhatsAppClient,
  type WhatsAppClient,
  type WhatsAppClientEvents,
} from './client.js';

export interface WhatsAppChannelOptions {
  /** Makes a fresh client; called at start and again for every reconnect (a destroyed client is not reused). */
  createClient: () => WhatsAppClient;
  /** Least time between two messages to one chat (WHATSAPP_CHAT_INTERVAL; at least 1000 in production). */
  chatIntervalMs: number;
  /** Most messages per minute, all chats together (WHATSAPP_MAX_PER_MINUTE). */
  maxPerMinute: number;
  logger: Logger;
  health: ChannelHealth;
  /** The locale catalog, for WhatsApp-specific texts (none so far: replies come rendered by the inbox). */
  catalog: MessageCatalog;
  /** Backoff between reconnects: doubles from `baseDelayMs` up to `maxDelayMs`; reset once ready. */
  reconnect?: { baseDelayMs: number; maxDelayMs: number };
  /** How long WhatsApp Web may take to open and show a QR code (or log in with the saved session). */
  startTimeoutMs?: number;
  /** How long WhatsApp Web may take, once logged in, to load the chats and become ready. */
  readyTimeoutMs?: number;
  /** Longest wait for WhatsApp Web to take one message. */
  sendTimeoutMs?: number;
  /** While ready, how often the client is asked for its state, so a dead browser is noticed. */
  probeIntervalMs?: number;
  /**
   * Called every time the client becomes ready (after start-up and after each reconnect), e.g.
   * to sweep replies that waited while WhatsApp was down instead of waiting for the next sweep.
   */
  onReady?: () => void;
  /** Shows the login QR code (default: printed on stderr as a small terminal QR code). */
  printQr?: (qr: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Where the WhatsApp login is, for the admin endpoint (which shows the QR code to scan). */
export type WhatsAppLoginState = 'off' | 'starting' | 'qr' | 'authenticated' | 'ready' | 'down';

export interface WhatsAppStatus {
  state: WhatsAppLoginState;
  /** The latest QR code (its text, to render), while one is waiting to be scanned. */
  qr?: string;
  reason?: string;
}

export interface WhatsAppAdapter extends ChannelAdapter {
  status(): WhatsAppStatus;
}

/** How many of the chat's latest messages from this account are read back after a crash. */
const HISTORY_LOOKBACK = 30;
const CLOCK_SKEW_SECONDS = 2;

/**
 * Buttons and lists are deprecated in WhatsApp Web and often not shown at all, so choices go out
 * as a numbered list («١. …»), which the engine understands by digit (either script) or by words.
 */
export const WHATSAPP_CAPABILITIES: ChannelCapabilities = {
  buttons: false,
  maxButtons: 0,
  maxTextLength: 4000,
};

const DEFAULT_RECONNECT = { baseDelayMs: 5_000, maxDelayMs: 300_000 };
const DESTROY_TIMEOUT_MS = 15_000;
/** Long replies partly sent and waiting for a retry, remembered at most. */
const MAX_PARTIAL_REPLIES = 1_000;
/** Linked ids (`@lid`) whose phone number WhatsApp told us, remembered at most. */
const MAX_LID_PHONES = 10_000;
const LID_LOOKUP_TIMEOUT_MS = 10_000;

const HEALTH_OF: Record<WhatsAppLoginState, ChannelState> = {
  off: 'off',
  starting: 'starting',
  qr: 'starting',
  authenticated: 'starting',
  ready: 'up',
  down: 'down',
};

/** The first line of an error message, short: Puppeteer can put a whole browser log in one. */
function shortReason(error: unknown): string {
  const text = safeError(error).message.split('\n')[0]?.trim() ?? '';
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function printQrOnStderr(qr: string): void {
  const require = createRequire(import.meta.url);
  const qrcode = require('qrcode-terminal') as {
    generate(text: string, options: { small: boolean }, callback: (code: string) => void): void;
  };
  qrcode.generate(qr, { small: true }, (code) => {
    process.stderr.write(
      `\nWhatsApp: scan this QR code with the association's phone (Linked devices):\n${code}\n`,
    );
  });
}

function inWords(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The WhatsApp channel (whatsapp-web.js driving WhatsApp Web in Debian's Chromium).
 *
 * Start-up never blocks on the login and never throws: the client initialises in the background,
 * a QR code to scan is printed and kept for `status()`, and any failure — Chromium missing,
 * WhatsApp unreachable, the session rejected, a disconnect — marks the channel down with a reason
 * and tries again with exponential backoff on a fresh client. Only people's own chats are read;
 * replies are paced per chat and overall so the number is not banned for bursts.
 */
export function createWhatsAppAdapter(options: WhatsAppChannelOptions): WhatsAppAdapter {
  const { logger, health } = options;
  const now = options.now ?? Date.now;
  const backoff = options.reconnect ?? DEFAULT_RECONNECT;
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const readyTimeoutMs = options.readyTimeoutMs ?? 600_000;
  const sendTimeoutMs = options.sendTimeoutMs ?? 60_000;
  const probeIntervalMs = options.probeIntervalMs ?? 60_000;
  const printQr = options.printQr ?? printQrOnStderr;

  /** Pending default sleeps, woken early by stop(). */
  const sleeps = new Map<NodeJS.Timeout, () => void>();
  const sleep =
    options.sleep ??
    ((ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          sleeps.delete(timer);
          resolve();
        }, ms);
        sleeps.set(timer, resolve);
      }));
  const pacer = new Pacer({
    chatIntervalMs: options.chatIntervalMs,
    maxPerMinute: options.maxPerMinute,
    now,
    sleep,
  });

  let onMessage: InboundHandler | undefined;
  let running = false;
  let client: WhatsAppClient | undefined;
  /** Bumped for every client: events of a client that was replaced are ignored. */
  let generation = 0;
  let login: WhatsAppStatus = { state: 'off' };
  /** Failures since the last time the client was ready: the backoff exponent. */
  let failures = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  let probe: NodeJS.Timeout | undefined;
  /** The previous client's shutdown: a new Chromium must not open the session while it still runs. */
  let closing: Promise<void> = Promise.resolve();
  /** Per chat, the inbound messages in the order WhatsApp emitted them. */
  const chains = new Map<string, Promise<void>>();
  /** Parts of a long reply already sent, so a retry does not send them twice. */
  const partsSent = new Map<string, number>();
  /** Linked id → E.164, as WhatsApp resolved it. */
  const lidPhones = new Map<string, string>();
  let probing = false;

  function setLogin(state: WhatsAppLoginState, reason?: string, qr?: string): void {
    login = { state, ...(qr ? { qr } : {}), ...(reason ? { reason } : {}) };
    health.set('whatsapp', HEALTH_OF[state], reason);
  }

  function clearTimer(timer: NodeJS.Timeout | undefined): undefined {
    if (timer) clearTimeout(timer);
    return undefined;
  }

  function armWatchdog(gen: number, what: string, ms: number, hint = ''): void {
    watchdog = clearTimer(watchdog);
    watchdog = setTimeout(() => fail(gen, `${what} within ${inWords(ms)}${hint}`), ms);
    watchdog.unref();
  }

  function startProbe(gen: number): void {
    if (probe) clearInterval(probe);
    probe = setInterval(() => {
      const current = client;
      if (!current || probing || gen !== generation || login.state !== 'ready') return;
      probing = true;
      withTimeout(current.getState(), sendTimeoutMs, 'getState')
        .then(
          (state) => logger.debug({ waState: state }, 'whatsapp state probed'),
          (error: unknown) => fail(gen, 'WhatsApp Web stopped responding', error),
        )
        .finally(() => {
          probing = false;
        });
    }, probeIntervalMs);
    probe.unref();
  }

  /** Closes the current client (if any) and forgets it; its late events are ignored. */
  function teardown(): void {
    const old = client;
    client = undefined;
    generation++;
    watchdog = clearTimer(watchdog);
    if (probe) clearInterval(probe);
    probe = undefined;
    if (!old) return;
    const previous = closing;
    closing = previous
      .then(() => withTimeout(old.destroy(), DESTROY_TIMEOUT_MS, 'destroy'))
      .catch((error: unknown) => {
        logger.warn({ reason: shortReason(error) }, 'whatsapp client did not close cleanly');
      })
      .finally(() => {
        old.removeAllListeners();
      });
  }

  /** One failure of the current client: down with a reason, one log line, a reconnect later. */
  function fail(gen: number, what: string, error?: unknown): void {
    if (!running || gen !== generation) return;
    const reason = error === undefined ? what : `${what}: ${shortReason(error)}`;
    const delay = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** failures);
    failures++;
    setLogin('down', reason);
    logger.error(
      { reason, retryInMs: delay, attempt: failures },
      `WhatsApp is down (${reason}); retrying in ${inWords(delay)}`,
    );
    teardown();
    reconnectTimer = clearTimer(reconnectTimer);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void closing.then(() => launch());
    }, delay);
    reconnectTimer.unref();
  }

  /**
   * A sender WhatsApp addresses by a linked id (`@lid`, no number in it) gets the phone number
   * WhatsApp has for that id, when it has one: it is as vouched for as a `@c.us` id.
   */
  async function withLinkedPhone(message: InboundMessage, source: WhatsAppClient): Promise<InboundMessage> {
    const lid = message.externalUserId;
    if (message.verifiedPhone || !lid.endsWith('@lid')) return message;
    let phone = lidPhones.get(lid);
    if (!phone) {
      try {
        const [entry] = await withTimeout(source.getContactLidAndPhone([lid]), LID_LOOKUP_TIMEOUT_MS, 'lid');
        phone = entry?.pn ? phoneOfJid(entry.pn) : undefined;
      } catch (error) {
        logger.debug({ reason: shortReason(error) }, 'whatsapp: no phone number for a linked id');
      }
      if (phone) {
        if (lidPhones.size >= MAX_LID_PHONES) lidPhones.delete(lidPhones.keys().next().value as string);
        lidPhones.set(lid, phone);
      }
    }
    return phone ? { ...message, verifiedPhone: phone } : message;
  }

  function receive(raw: Message, source: WhatsAppClient): Promise<void> {
    const handler = onMessage;
    if (!handler) return Promise.resolve();
    let inbound: ReturnType<typeof toInbound>;
    try {
      inbound = toInbound(raw);
    } catch (error) {
      logger.warn({ reason: shortReason(error) }, 'whatsapp message could not be read');
      return Promise.resolve();
    }
    if (inbound.kind === 'ignored') {
      logger.debug({ reason: inbound.reason }, 'whatsapp message ignored');
      return Promise.resolve();
    }
    const message = inbound.message;
    // WhatsApp Web does not wait for one message to be handled before emitting the next: one
    // chat's messages are chained so they reach the inbox in the order the person sent them.
    const key = message.externalUserId;
    const next = (chains.get(key) ?? Promise.resolve())
      .then(() => withLinkedPhone(message, source))
      .then((complete) => handler(complete))
      .catch((error: unknown) => {
        logger.error({ err: safeError(error) }, 'whatsapp message could not be stored');
      });
    chains.set(key, next);
    void next.finally(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
    return next;
  }

  /** Creates a client, wires its events and starts it in the background. */
  function launch(): void {
    if (!running) return;
    const gen = ++generation;
    let created: WhatsAppClient;
    try {
      created = options.createClient();
    } catch (error) {
      fail(gen, 'the WhatsApp client could not be created', error);
      return;
    }
    client = created;
    const current = () => running && gen === generation;
    setLogin('starting', 'opening WhatsApp Web');
    armWatchdog(gen, 'WhatsApp Web did not open', startTimeoutMs, ' (is web.whatsapp.com reachable?)');

    created.on('qr', (qr) => {
      if (!current()) return;
      watchdog = clearTimer(watchdog);
      const first = login.state !== 'qr';
      setLogin('qr', 'waiting for QR scan', qr);
      if (first) {
        logger.warn(
          'WhatsApp is not linked yet: scan the QR code printed on stderr (also at GET /api/admin/whatsapp) with the phone, under Linked devices',
        );
      }
      try {
        printQr(qr);
      } catch (error) {
        logger.warn({ reason: shortReason(error) }, 'the WhatsApp QR code could not be printed');
      }
    });
    created.on('authenticated', () => {
      if (!current()) return;
      setLogin('authenticated', 'authenticated, loading chats');
      logger.info('whatsapp authenticated');
      armWatchdog(gen, 'WhatsApp Web did not load the chats after login', readyTimeoutMs);
    });
    created.on('auth_failure', (message) => {
      if (!current()) return;
      const detail = typeof message === 'string' ? shortReason(message) : '';
      fail(gen, `WhatsApp refused the login${detail ? ` (${detail})` : ''}; a new QR code will be shown`);
    });
    created.on('ready', () => {
      if (!current()) return;
      watchdog = clearTimer(watchdog);
      failures = 0;
      setLogin('ready');
      logger.info('whatsapp ready');
      startProbe(gen);
      try {
        options.onReady?.();
      } catch (error) {
        logger.warn({ reason: shortReason(error) }, 'whatsapp onReady failed');
      }
    });
    created.on('disconnected', (reason) => {
      if (!current()) return;
      fail(
        gen,
        reason === 'LOGOUT'
          ? 'WhatsApp was logged out (from the phone?); scan a new QR code'
          : `WhatsApp disconnected (${String(reason)})`,
      );
    });
    created.on('change_state', (state) => {
      if (!current()) return;
      logger.info({ waState: state }, `whatsapp connection state: ${String(state)}`);
    });
    created.on('message', (message) => {
      if (!current()) return;
      void receive(message, created);
    });

    let initializing: Promise<void>;
    try {
      initializing = created.initialize();
    } catch (error) {
      initializing = Promise.reject(error);
    }
    initializing.then(
      () => undefined,
      (error: unknown) => fail(gen, 'WhatsApp Web could not be started', error),
    );
  }

  /** The client, if it can send now; otherwise a transient failure the dispatcher retries. */
  function readyClient(): WhatsAppClient {
    if (!running || !client || login.state !== 'ready') {
      throw new ChannelSendError('transient', `WhatsApp is not ready (${login.state})`, {
        code: 'not_ready',
      });
    }
    return client;
  }

  return {
    channel: 'whatsapp',
    capabilities: WHATSAPP_CAPABILITIES,

    status: () => ({ ...login }),

    async start(handler) {
      onMessage = handler;
      if (running) return;
      running = true;
      failures = 0;
      launch();
    },

    async send(message: OutboundMessage) {
      const chatId = message.externalUserId;
      if (!isPersonJid(chatId)) {
        throw new ChannelSendError('unreachable', 'not a WhatsApp person id', { code: 'invalid_id' });
      }
      readyClient();
      const { texts } = renderReply(message.text, message.choices, WHATSAPP_CAPABILITIES);
      for (let part = partsSent.get(message.id) ?? 0; part < texts.length; part++) {
        await pacer.acquire(chatId, () => running);
        const active = readyClient();
        const gen = generation;
        let sent: unknown;
        try {
          sent = await withTimeout(active.sendMessage(chatId, texts[part] as string), sendTimeoutMs, 'send');
        } catch (error) {
          if (isClientGone(error)) fail(gen, 'the WhatsApp Web browser went away', error);
          throw toSendError(error);
        }
        // whatsapp-web.js answers nothing when WhatsApp has no chat for the id.
        if (!sent)
          throw new ChannelSendError('unreachable', 'WhatsApp has no chat for this id', { code: 'no_chat' });
        if (part < texts.length - 1) {
          if (partsSent.size >= MAX_PARTIAL_REPLIES)
            partsSent.delete(partsSent.keys().next().value as string);
          partsSent.set(message.id, part + 1);
        }
      }
      partsSent.delete(message.id);
    },

    /**
     * Reads the chat's latest messages from this account: if every part of this one is there, in
     * order, after the last message recorded as delivered and not before this one was stored, it
     * went out before the crash. Parts found without the rest are remembered, so only the missing
     * ones are sent. Whenever it cannot be sure (the anchor is out of view, the two texts are the
     * same) it answers false: a repeat is better than a message lost.
     */
    async wasDelivered(message: OutboundMessage, { createdAt, previous }: DeliveryCheck) {
      const chatId = message.externalUserId;
      if (!isPersonJid(chatId)) return false;
      const active = readyClient();
      const { texts } = renderReply(message.text, message.choices, WHATSAPP_CAPABILITIES);
      const anchor = previous
        ? renderReply(previous.text, previous.choices, WHATSAPP_CAPABILITIES).texts.at(-1)
        : undefined;
      if (anchor !== undefined && texts.includes(anchor)) return false;
      const chat = await withTimeout(active.getChatById(chatId), sendTimeoutMs, 'getChatById');
      const recent = await withTimeout(
        chat.fetchMessages({ limit: HISTORY_LOOKBACK, fromMe: true }),
        sendTimeoutMs,
        'fetchMessages',
      );
      // WhatsApp stamps whole seconds, by its own clock: allow it a little skew.
      const notBefore = Math.floor(createdAt.getTime() / 1000) - CLOCK_SKEW_SECONDS;
      const bodies = recent
        .filter((item) => item.fromMe)
        .map((item) => ({ body: item.body, at: item.timestamp }));
      let start = 0;
      if (anchor !== undefined) {
        start = bodies.map((item) => item.body).lastIndexOf(anchor) + 1;
        if (start === 0) return false;
      }
      let found = 0;
      for (const { body, at } of bodies.slice(start)) {
        if (at >= notBefore && body === texts[found]) found++;
        if (found === texts.length) break;
      }
      if (found === texts.length) {
        partsSent.delete(message.id);
        return true;
      }
      if (found > 0) partsSent.set(message.id, found);
      return false;
    },

    async stop() {
      running = false;
      reconnectTimer = clearTimer(reconnectTimer);
      for (const [timer, wake] of sleeps) {
        clearTimeout(timer);
        wake();
      }
      sleeps.clear();
      teardown();
      if (login.state !== 'off') setLogin('off', 'stopped');
      await closing;
      await Promise.all([...chains.values()]);
    },
  };
}
