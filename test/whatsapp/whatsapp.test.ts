import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WAWebJS, {
  type Chat,
  type ClientOptions,
  type Message,
  type MessageContent,
  type MessageSendOptions,
  type WAState,
} from 'whatsapp-web.js';
import { ChannelHealth } from '../../src/channels/health.js';
import { createInboundHandler } from '../../src/channels/inbound-handler.js';
import { ChannelSendError } from '../../src/channels/send-error.js';
import type { OutboundMessage } from '../../src/channels/types.js';
import { toSendError } from '../../src/channels/whatsapp/errors.js';
import {
  CHROMIUM_ARGS,
  createWhatsAppAdapter,
  createWhatsAppClient,
  type WhatsAppAdapter,
  type WhatsAppChannelOptions,
  type WhatsAppClient,
} from '../../src/channels/whatsapp/index.js';
import { toInbound } from '../../src/channels/whatsapp/to-inbound.js';
import { displayPhone } from '../../src/domain/phone.js';
import { MessageCatalog } from '../../src/engine/i18n.js';
import { createLogger } from '../../src/logger.js';
import { OutboundDispatcher } from '../../src/outbound/dispatcher.js';
import { createTestBot, silentLogger, type TestBot } from '../support/bot.js';

// ---------------------------------------------------------------------------------------------
// A stand-in for whatsapp-web.js's Client: the adapter's side of it is typed by the library
// (`implements WhatsAppClient`, which is a Pick of the real Client), the test drives its events.
// ---------------------------------------------------------------------------------------------

interface SentRecord {
  chatId: string;
  text: string;
  at: number;
  client: number;
}

interface World {
  sent: SentRecord[];
  now: () => number;
  /** Linked id (`…@lid`) → the phone-number id WhatsApp has for it. */
  lids: Map<string, string>;
}

class FakeWhatsAppClient extends EventEmitter implements WhatsAppClient {
  initializeCalls = 0;
  destroyCalls = 0;
  listenersRemoved = false;
  /** Makes the next sends fail with this error. */
  sendFailure: unknown;
  /** What getState answers (or throws). */
  state: WAState | Error = 'CONNECTED' as WAState;

  constructor(
    private readonly world: World,
    readonly index: number,
    private readonly init: () => Promise<void>,
  ) {
    super();
  }

  initialize(): Promise<void> {
    this.initializeCalls++;
    return this.init();
  }

  async destroy(): Promise<void> {
    this.destroyCalls++;
  }

  async sendMessage(
    chatId: string,
    content: MessageContent,
    _options?: MessageSendOptions,
  ): Promise<Message> {
    if (this.sendFailure) throw this.sendFailure;
    const text = String(content);
    this.world.sent.push({ chatId, text, at: this.world.now(), client: this.index });
    return {
      id: { _serialized: `true_${chatId}_${this.world.sent.length}` },
      body: text,
    } as unknown as Message;
  }

  /** A chat whose history is what this world sent to it (whatsapp-web.js: newest last). */
  async getChatById(chatId: string): Promise<Chat> {
    const world = this.world;
    return {
      async fetchMessages({ limit = 50, fromMe }: { limit?: number; fromMe?: boolean }) {
        return world.sent
          .filter((record) => record.chatId === chatId && fromMe !== false)
          .slice(-limit)
          .map((record) => ({ body: record.text, fromMe: true, timestamp: Math.floor(record.at / 1000) }));
      },
    } as unknown as Chat;
  }

  async getContactLidAndPhone(userIds: string[]): Promise<{ lid: string; pn: string }[]> {
    return userIds.map((lid) => ({ lid, pn: this.world.lids.get(lid) as string }));
  }

  async getState(): Promise<WAState> {
    if (this.state instanceof Error) throw this.state;
    return this.state;
  }

  override removeAllListeners(event?: string | symbol): this {
    this.listenersRemoved = true;
    return super.removeAllListeners(event);
  }
}

let messageSequence = 0;

/** The fields of a whatsapp-web.js Message the adapter reads; the rest is never touched. */
function fakeMessage(fields: {
  from: string;
  body?: string;
  type?: string;
  id?: string;
  fromMe?: boolean;
  isStatus?: boolean;
  hasMedia?: boolean;
  notifyName?: string;
}): Message {
  const id = fields.id ?? `3EB0${++messageSequence}${randomInt(1e9)}`;
  const fromMe = fields.fromMe ?? false;
  return {
    from: fields.from,
    to: '966500000000@c.us',
    body: fields.body ?? '',
    type: fields.type ?? 'chat',
    fromMe,
    isStatus: fields.isStatus ?? false,
    hasMedia: fields.hasMedia ?? false,
    timestamp: Math.floor(Date.now() / 1000),
    id: { _serialized: `${fromMe}_${fields.from}_${id}`, id, fromMe, remote: fields.from },
    rawData: fields.notifyName ? { notifyName: fields.notifyName } : {},
  } as unknown as Message;
}

/** A Saudi WhatsApp user id of their own for each test person. */
function saudiJid(): string {
  return `9665${String(randomInt(1e8)).padStart(8, '0')}@c.us`;
}

async function waitFor<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 5000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LogLine {
  level: number;
  msg: string;
  reason?: string;
  retryInMs?: number;
  waState?: string;
  [key: string]: unknown;
}

interface Harness {
  adapter: WhatsAppAdapter;
  world: World;
  health: ChannelHealth;
  clients: FakeWhatsAppClient[];
  sent: SentRecord[];
  qrs: string[];
  logs: LogLine[];
  rawLogs: string[];
  client(): FakeWhatsAppClient;
}

/** Every adapter a test made: all stopped at the end, even when a test failed half-way. */
const harnesses: Harness[] = [];
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.adapter.stop()));
});

/**
 * An adapter on stand-in clients. `init(index)` is what the index-th client's initialize() does;
 * with `fakeClock` the pacing waits advance a fake clock instead of real time.
 */
function whatsapp(
  options: {
    init?: (index: number) => Promise<void>;
    fakeClock?: boolean;
    createClient?: (make: () => FakeWhatsAppClient) => WhatsAppClient;
  } & Partial<Omit<WhatsAppChannelOptions, 'createClient'>> = {},
): Harness {
  // Virtual time: a sleep wakes when everything runnable has run (setImmediate), and the clock
  // jumps to its wake-up time, so waits cost no real time and happen in the order they would.
  let clock = 1_700_000_000_000;
  const wakeUps: Array<{ at: number; wake: () => void }> = [];
  let ticking = false;
  const tick = () => {
    ticking = false;
    wakeUps.sort((x, y) => x.at - y.at);
    const next = wakeUps.shift();
    if (!next) return;
    clock = Math.max(clock, next.at);
    next.wake();
    if (wakeUps.length > 0) schedule();
  };
  const schedule = () => {
    if (ticking) return;
    ticking = true;
    setImmediate(tick);
  };
  const virtualSleep = (ms: number) =>
    new Promise<void>((wake) => {
      wakeUps.push({ at: clock + ms, wake });
      schedule();
    });
  const fake = options.fakeClock ?? true;
  const now = fake ? () => clock : Date.now;
  const world: World = { sent: [], now, lids: new Map() };
  const clients: FakeWhatsAppClient[] = [];
  const qrs: string[] = [];
  const logs: LogLine[] = [];
  const rawLogs: string[] = [];
  const logger = createLogger('debug', {
    write(line: string) {
      rawLogs.push(line);
      logs.push(JSON.parse(line) as LogLine);
    },
  });
  const health = new ChannelHealth();
  const make = () => {
    const client = new FakeWhatsAppClient(world, clients.length, () =>
      options.init ? options.init(clients.length - 1) : Promise.resolve(),
    );
    clients.push(client);
    return client;
  };
  const { init: _init, fakeClock: _fakeClock, createClient, ...overrides } = options;
  const adapter = createWhatsAppAdapter({
    chatIntervalMs: 1000,
    maxPerMinute: 30,
    logger,
    health,
    catalog: new MessageCatalog({ ar: {}, en: {} }),
    reconnect: { baseDelayMs: 20, maxDelayMs: 80 },
    startTimeoutMs: 10_000,
    readyTimeoutMs: 10_000,
    sendTimeoutMs: 2_000,
    probeIntervalMs: 60_000,
    printQr: (qr) => qrs.push(qr),
    ...(fake ? { now, sleep: virtualSleep } : {}),
    ...overrides,
    createClient: createClient ? () => createClient(make) : make,
  });
  const harness: Harness = {
    adapter,
    world,
    health,
    clients,
    sent: world.sent,
    qrs,
    logs,
    rawLogs,
    client: () => {
      const latest = clients.at(-1);
      if (!latest) throw new Error('no client created yet');
      return latest;
    },
  };
  harnesses.push(harness);
  return harness;
}

const noop = async () => undefined;

/** The client's second send from now fails as a dying WhatsApp Web page does (a long reply cut in half). */
function failSecondSend(client: FakeWhatsAppClient): void {
  const realSend = client.sendMessage.bind(client);
  let calls = 0;
  client.sendMessage = async (...args) => {
    if (++calls === 2) throw new Error('Evaluation failed: Error: something went wrong');
    return realSend(...args);
  };
}

function outbound(externalUserId: string, text: string, choices: string[] = []): OutboundMessage {
  return {
    id: `out-${++messageSequence}`,
    conversationId: 'c',
    channel: 'whatsapp',
    externalUserId,
    text,
    choices,
    flowId: null,
    nodeId: null,
  };
}

// ---------------------------------------------------------------------------------------------

describe('createWhatsAppClient', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aiou-wa-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('builds a whatsapp-web.js Client with LocalAuth under DATA_DIR/whatsapp and the given Chromium, without starting it', () => {
    const client = createWhatsAppClient({ dataDir, chromiumPath: '/opt/test/chromium' });
    expect(client).toBeInstanceOf(WAWebJS.Client);
    const inside = client as unknown as {
      options: ClientOptions;
      authStrategy: unknown;
      pupBrowser: unknown;
    };
    expect(inside.authStrategy).toBeInstanceOf(WAWebJS.LocalAuth);
    expect((inside.authStrategy as InstanceType<typeof WAWebJS.LocalAuth>).dataPath).toBe(
      resolve(dataDir, 'whatsapp'),
    );
    expect(inside.options.puppeteer).toMatchObject({
      executablePath: '/opt/test/chromium',
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    expect(CHROMIUM_ARGS).toEqual(
      expect.arrayContaining(['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']),
    );
    expect(inside.options.webVersionCache).toEqual({
      type: 'local',
      path: join(dataDir, 'whatsapp', 'web-cache'),
    });
    // Not initialised: no browser, and LocalAuth has not even created its session folder.
    expect(inside.pupBrowser).toBeNull();
    expect(existsSync(join(dataDir, 'whatsapp'))).toBe(false);
  });
});

describe('WhatsApp message mapping', () => {
  it('maps text, media kinds and captions, and vouches for the phone of a phone-number id only', () => {
    const jid = '966512345678@c.us';
    const text = toInbound(
      fakeMessage({ from: jid, body: 'السلام عليكم', id: 'A1', notifyName: 'أبو محمد' }),
    );
    expect(text).toEqual({
      kind: 'message',
      message: {
        channel: 'whatsapp',
        externalUserId: jid,
        externalMessageId: `false_${jid}_A1`,
        text: 'السلام عليكم',
        mediaKind: null,
        displayName: 'أبو محمد',
        verifiedPhone: '+966512345678',
      },
    });
    const kinds = [
      ['image', 'image'],
      ['video', 'video'],
      ['audio', 'audio'],
      ['ptt', 'voice'],
      ['sticker', 'sticker'],
      ['document', 'document'],
      ['location', 'location'],
      ['vcard', 'other'],
      ['poll_creation', 'other'],
    ] as const;
    for (const [type, kind] of kinds) {
      const mapped = toInbound(fakeMessage({ from: jid, type, body: '/9j/4AAQSkZJRgABAQ' }));
      expect(mapped.kind === 'message' && mapped.message.mediaKind, type).toBe(kind);
      // A thumbnail or vCard in `body` is not text the person wrote.
      expect(mapped.kind === 'message' && mapped.message.text, type).toBe('');
    }
    const captioned = toInbound(fakeMessage({ from: jid, type: 'image', hasMedia: true, body: 'صورة الصك' }));
    expect(captioned).toMatchObject({ kind: 'message', message: { mediaKind: 'image', text: 'صورة الصك' } });
    // A linked id (@lid) carries no phone number: nothing is claimed.
    const lid = toInbound(fakeMessage({ from: '123456789012345@lid', body: 'مرحبا' }));
    expect(lid).toMatchObject({
      kind: 'message',
      message: { externalUserId: '123456789012345@lid', verifiedPhone: null },
    });
    // A non-Saudi number is vouched for as well: it is what WhatsApp knows.
    const egypt = toInbound(fakeMessage({ from: '201001234567@c.us', body: 'ازيك' }));
    expect(egypt).toMatchObject({ message: { verifiedPhone: '+201001234567' } });
  });

  it('ignores our own messages, status updates, groups, broadcast lists, channels and WhatsApp notices', () => {
    const cases: Array<[Message, string]> = [
      [fakeMessage({ from: saudiJid(), body: 'x', fromMe: true }), 'from_me'],
      [fakeMessage({ from: 'status@broadcast', body: 'x' }), 'status'],
      [fakeMessage({ from: saudiJid(), body: 'x', isStatus: true }), 'status'],
      [fakeMessage({ from: '120363025555555555@g.us', body: 'x' }), 'not_private'],
      [fakeMessage({ from: '1699999999@broadcast', body: 'x' }), 'not_private'],
      [fakeMessage({ from: '120363111111111111@newsletter', body: 'x' }), 'not_private'],
      [fakeMessage({ from: saudiJid(), type: 'e2e_notification' }), 'system'],
      [fakeMessage({ from: saudiJid(), type: 'revoked' }), 'system'],
    ];
    for (const [message, reason] of cases) expect(toInbound(message)).toEqual({ kind: 'ignored', reason });
  });

  it('classifies send failures without quoting the message or the number', () => {
    expect(toSendError(new Error('Evaluation failed: Error: wid error: invalid wid'))).toMatchObject({
      kind: 'unreachable',
    });
    expect(toSendError(new Error('Evaluation failed: Error: No LID for user'))).toMatchObject({
      kind: 'unreachable',
    });
    expect(toSendError(new Error('Protocol error (Runtime.callFunctionOn): Session closed.'))).toMatchObject({
      kind: 'transient',
      details: { code: 'client_gone' },
    });
    const other = toSendError('something 966512345678 odd');
    expect(other).toMatchObject({ kind: 'transient' });
    expect(other.message).not.toMatch(/\d{6}/);
  });
});

describe('WhatsApp login and reconnection', () => {
  const run = whatsapp;

  it('starts without waiting for the login, shows the QR code until it is scanned, then is up when ready', async () => {
    // initialize() of whatsapp-web.js takes long (Chromium, WhatsApp Web): start() must not wait.
    const h = run({ init: () => new Promise<void>(() => undefined) });
    await h.adapter.start(noop);
    expect(h.client().initializeCalls).toBe(1);
    expect(h.health.get('whatsapp')?.state).toBe('starting');
    expect(h.adapter.status().state).toBe('starting');

    h.client().emit('qr', '2@first-qr');
    expect(h.adapter.status()).toEqual({ state: 'qr', qr: '2@first-qr', reason: 'waiting for QR scan' });
    expect(h.health.get('whatsapp')).toMatchObject({ state: 'starting', reason: 'waiting for QR scan' });
    h.client().emit('qr', '2@second-qr');
    expect(h.adapter.status().qr).toBe('2@second-qr');
    expect(h.qrs).toEqual(['2@first-qr', '2@second-qr']);

    // Nothing can be sent before WhatsApp is ready: a transient failure the dispatcher retries.
    await expect(h.adapter.send(outbound(saudiJid(), 'x'))).rejects.toMatchObject({
      kind: 'transient',
      details: { code: 'not_ready' },
    });
    expect(h.sent).toEqual([]);

    h.client().emit('authenticated');
    expect(h.adapter.status().state).toBe('authenticated');
    expect(h.adapter.status().qr).toBeUndefined();
    expect(h.health.get('whatsapp')?.state).toBe('starting');

    h.client().emit('change_state', 'CONNECTED');
    expect(h.logs.some((l) => l.waState === 'CONNECTED')).toBe(true);

    h.client().emit('ready');
    expect(h.adapter.status()).toEqual({ state: 'ready' });
    expect(h.health.get('whatsapp')?.state).toBe('up');
    expect(h.clients).toHaveLength(1);
  });

  it('on auth_failure goes down with the reason and retries on a fresh client after the backoff', async () => {
    const h = run();
    await h.adapter.start(noop);
    const first = h.client();
    first.emit('auth_failure', 'session restore failed');
    expect(h.health.get('whatsapp')?.state).toBe('down');
    expect(h.health.get('whatsapp')?.reason).toMatch(/refused the login/);
    expect(h.adapter.status().state).toBe('down');
    expect(h.clients).toHaveLength(1); // not at once: after the backoff
    await waitFor(() => h.clients.length === 2, 'a second client');
    expect(first.destroyCalls).toBe(1);
    expect(first.listenersRemoved).toBe(true);
    expect(h.client().initializeCalls).toBe(1);
    expect(h.health.get('whatsapp')?.state).toBe('starting');
    // The replaced client's late events change nothing.
    first.emit('ready');
    expect(h.health.get('whatsapp')?.state).toBe('starting');
    h.client().emit('ready');
    expect(h.health.get('whatsapp')?.state).toBe('up');
  });

  it('on disconnect destroys the client and re-creates and re-initialises it, backing off exponentially until ready', async () => {
    // Client 0 connects; clients 1 and 2 fail to start; client 3 connects.
    let readyCalls = 0;
    const h = run({
      onReady: () => {
        readyCalls++;
      },
      init: (index) =>
        index === 1 || index === 2
          ? Promise.reject(new Error('net::ERR_INTERNET_DISCONNECTED'))
          : Promise.resolve(),
      reconnect: { baseDelayMs: 15, maxDelayMs: 1000 },
    });
    await h.adapter.start(noop);
    h.client().emit('ready');
    expect(h.health.get('whatsapp')?.state).toBe('up');

    h.clients[0]?.emit('disconnected', 'NAVIGATION');
    expect(h.health.get('whatsapp')).toMatchObject({
      state: 'down',
      reason: 'WhatsApp disconnected (NAVIGATION)',
    });
    await waitFor(() => h.clients.length === 4, 'three reconnects');
    expect(h.clients.map((c) => c.initializeCalls)).toEqual([1, 1, 1, 1]);
    expect(h.clients.slice(0, 3).map((c) => c.destroyCalls)).toEqual([1, 1, 1]);
    const delays = () => h.logs.filter((l) => l.retryInMs !== undefined).map((l) => l.retryInMs);
    expect(delays()).toEqual([15, 30, 60]);

    h.client().emit('ready');
    expect(h.health.get('whatsapp')?.state).toBe('up');
    expect(readyCalls).toBe(2); // e.g. to sweep the replies that waited meanwhile
    // Ready again: the backoff starts over.
    h.client().emit('disconnected', 'LOGOUT');
    expect(h.health.get('whatsapp')?.reason).toMatch(/logged out/);
    expect(delays()).toEqual([15, 30, 60, 15]);
    await waitFor(() => h.clients.length === 5, 'a fifth client');
  });

  it('when initialize fails (Chromium missing, WhatsApp unreachable) it is down with the reason, logs one line and retries — never throwing', async () => {
    const h = run({
      init: () => Promise.reject(new Error('net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/')),
      reconnect: { baseDelayMs: 30, maxDelayMs: 30 },
    });
    await expect(h.adapter.start(noop)).resolves.toBeUndefined();
    await waitFor(() => h.health.get('whatsapp')?.state === 'down', 'down');
    expect(h.health.get('whatsapp')?.reason).toBe(
      'WhatsApp Web could not be started: net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/',
    );
    expect(h.adapter.status()).toMatchObject({
      state: 'down',
      reason: expect.stringContaining('ERR_NAME_NOT_RESOLVED'),
    });
    const errors = h.logs.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toMatch(/WhatsApp is down \(.*ERR_NAME_NOT_RESOLVED.*\); retrying in 30 ms/);
    await waitFor(() => h.clients.length >= 2, 'a retry');
    expect(h.clients[0]?.destroyCalls).toBe(1);

    // A client that cannot even be created, and a library that rejects with a bare string.
    const broken = run({
      createClient: () => {
        throw new Error('Browser was not found at the configured executablePath (/nope/chromium)');
      },
    });
    await expect(broken.adapter.start(noop)).resolves.toBeUndefined();
    expect(broken.health.get('whatsapp')?.reason).toMatch(/executablePath \(\/nope\/chromium\)/);
    const bare = run({ init: () => Promise.reject('auth timeout') });
    await bare.adapter.start(noop);
    await waitFor(() => bare.health.get('whatsapp')?.state === 'down', 'down on a string rejection');
    expect(bare.health.get('whatsapp')?.reason).toMatch(/auth timeout/);
  });

  it('gives up on a start that never shows a QR code or never gets ready after login, and retries', async () => {
    const h = run({ init: () => new Promise<void>(() => undefined), startTimeoutMs: 40, readyTimeoutMs: 60 });
    await h.adapter.start(noop);
    await waitFor(() => h.health.get('whatsapp')?.state === 'down', 'the start timeout');
    expect(h.health.get('whatsapp')?.reason).toBe(
      'WhatsApp Web did not open within 40 ms (is web.whatsapp.com reachable?)',
    );
    await waitFor(() => h.clients.length === 2, 'a retry');
    // A QR code on screen is not a hang: it waits for the scan as long as it takes.
    h.client().emit('qr', '2@qr');
    await pause(80);
    expect(h.adapter.status().state).toBe('qr');
    expect(h.clients).toHaveLength(2);
    // Logged in but the chats never finish loading: that is a hang.
    h.client().emit('authenticated');
    await waitFor(() => h.health.get('whatsapp')?.state === 'down', 'the ready timeout');
    expect(h.health.get('whatsapp')?.reason).toBe(
      'WhatsApp Web did not load the chats after login within 60 ms',
    );
    await waitFor(() => h.clients.length === 3, 'another retry');
  });

  it('notices a dead browser while ready (the state probe fails) and reconnects', async () => {
    const h = run({ probeIntervalMs: 10 });
    await h.adapter.start(noop);
    h.client().emit('ready');
    h.client().state = new Error('Protocol error: Target closed');
    await waitFor(() => h.health.get('whatsapp')?.state === 'down', 'down after the probe');
    expect(h.health.get('whatsapp')?.reason).toMatch(/stopped responding/);
    await waitFor(() => h.clients.length === 2, 'a new client');
  });

  it('replaces the client when its browser dies under a send; a page reload is only a transient failure', async () => {
    const h = run();
    await h.adapter.start(noop);
    h.client().emit('ready');
    h.client().sendFailure = new Error('Evaluation failed: Execution context was destroyed');
    await expect(h.adapter.send(outbound(saudiJid(), 'x'))).rejects.toMatchObject({ kind: 'transient' });
    expect(h.health.get('whatsapp')?.state).toBe('up');
    h.client().sendFailure = new Error('Protocol error (Runtime.callFunctionOn): Target closed');
    await expect(h.adapter.send(outbound(saudiJid(), 'x'))).rejects.toMatchObject({
      kind: 'transient',
      details: { code: 'client_gone' },
    });
    expect(h.health.get('whatsapp')).toMatchObject({
      state: 'down',
      reason: expect.stringMatching(/browser went away/),
    });
    await waitFor(() => h.clients.length === 2, 'a new client');
  });

  it('stop() destroys the client and cancels a pending reconnect', async () => {
    const h = run({ reconnect: { baseDelayMs: 30, maxDelayMs: 30 } });
    await h.adapter.start(noop);
    h.client().emit('disconnected', 'CONFLICT');
    await h.adapter.stop();
    expect(h.clients[0]?.destroyCalls).toBe(1);
    expect(h.health.get('whatsapp')?.state).toBe('off');
    await pause(80);
    expect(h.clients).toHaveLength(1);
    await expect(h.adapter.send(outbound(saudiJid(), 'x'))).rejects.toMatchObject({ kind: 'transient' });
  });
});

describe('WhatsApp inbound handling', () => {
  it('hands one chat its messages in order, one at a time, other chats meanwhile; a failure is logged, not thrown', async () => {
    const events: string[] = [];
    const h = whatsapp();
    await h.adapter.start(async (message) => {
      events.push(`start ${message.text}`);
      if (message.text === 'a1') await pause(40);
      if (message.text === 'a2') throw new Error('database unavailable');
      events.push(`end ${message.text}`);
    });
    h.client().emit('ready');
    const [a, b] = [saudiJid(), saudiJid()];
    h.client().emit('message', fakeMessage({ from: a, body: 'a1' }));
    h.client().emit('message', fakeMessage({ from: a, body: 'a2' }));
    h.client().emit('message', fakeMessage({ from: a, body: 'a3' }));
    h.client().emit('message', fakeMessage({ from: b, body: 'b1' }));
    await waitFor(() => events.includes('end a3'), 'the last message');
    expect(events).toEqual(['start a1', 'start b1', 'end b1', 'end a1', 'start a2', 'start a3', 'end a3']);
    const failure = h.logs.find((l) => l.msg === 'whatsapp message could not be stored');
    expect(failure?.level).toBe(50);
    await h.adapter.stop();
  });
});

describe('WhatsApp pacing', () => {
  it('keeps at least chatIntervalMs between two messages to one chat, without holding up other chats', async () => {
    const h = whatsapp({ chatIntervalMs: 1000, maxPerMinute: 100 });
    await h.adapter.start(noop);
    h.client().emit('ready');
    const [a, b] = [saudiJid(), saudiJid()];
    await Promise.all([
      h.adapter.send(outbound(a, 'a1')),
      h.adapter.send(outbound(a, 'a2')),
      h.adapter.send(outbound(b, 'b1')),
      h.adapter.send(outbound(a, 'a3')),
    ]);
    const times = (chat: string) => h.sent.filter((s) => s.chatId === chat).map((s) => s.at);
    const [a1, a2, a3] = times(a) as [number, number, number];
    expect(a2 - a1).toBeGreaterThanOrEqual(1000);
    expect(a3 - a2).toBeGreaterThanOrEqual(1000);
    expect(times(b)[0]).toBe(a1); // another chat is not delayed by a's interval
    await h.adapter.stop();
  });

  it('sends at most maxPerMinute messages in any minute, waiting rather than dropping', async () => {
    const h = whatsapp({ chatIntervalMs: 1000, maxPerMinute: 3 });
    await h.adapter.start(noop);
    h.client().emit('ready');
    const chats = [saudiJid(), saudiJid(), saudiJid(), saudiJid(), saudiJid()];
    await Promise.all(chats.map((chat, i) => h.adapter.send(outbound(chat, `m${i}`))));
    expect(h.sent).toHaveLength(5);
    const at = h.sent.map((s) => s.at).sort((x, y) => x - y);
    expect((at[3] as number) - (at[0] as number)).toBeGreaterThanOrEqual(60_000);
    expect((at[4] as number) - (at[1] as number)).toBeGreaterThanOrEqual(60_000);
    await h.adapter.stop();
  });

  it('waits in real time too (default clock)', async () => {
    const h = whatsapp({ fakeClock: false, chatIntervalMs: 60, maxPerMinute: 100 });
    await h.adapter.start(noop);
    h.client().emit('ready');
    const chat = saudiJid();
    const start = Date.now();
    await Promise.all([h.adapter.send(outbound(chat, '1')), h.adapter.send(outbound(chat, '2'))]);
    expect(h.sent.map((s) => s.text)).toEqual(['1', '2']);
    // The second send's slot is 60 ms after the first's, which is no earlier than `start`. (Not
    // measured from the first send's own time: a pause between its slot and its send, such as a
    // garbage collection in a busy suite, made that gap look shorter than the pacer kept it.)
    const second = h.sent[1]?.at as number;
    expect(second - start).toBeGreaterThanOrEqual(60);
    await h.adapter.stop();
  });

  it('renders choices as a numbered list and splits long texts, resuming a half-sent reply without repeating it', async () => {
    const h = whatsapp();
    await h.adapter.start(noop);
    h.client().emit('ready');
    expect(h.adapter.capabilities).toEqual({ buttons: false, maxButtons: 0, maxTextLength: 4000 });
    const chat = saudiJid();
    await h.adapter.send(outbound(chat, 'اختاروا:', ['نعم', 'لا']));
    expect(h.sent.at(-1)?.text).toBe('اختاروا:\n\n١. نعم\n٢. لا');

    const long = outbound(chat, `${'أ'.repeat(3000)}\n${'ب'.repeat(3000)}`);
    failSecondSend(h.client());
    await expect(h.adapter.send(long)).rejects.toMatchObject({ kind: 'transient' });
    await h.adapter.send(long);
    const parts = h.sent
      .filter((s) => s.text.startsWith('أ') || s.text.startsWith('ب'))
      .map((s) => s.text[0]);
    expect(parts).toEqual(['أ', 'ب']);
    await h.adapter.stop();
  });

  it('after a crash, reads the chat back: a message already there is not sent again, a half-sent one only finishes', async () => {
    const h = whatsapp();
    await h.adapter.start(noop);
    h.client().emit('ready');
    const chat = saudiJid();
    const at = (offsetMs: number) => new Date(h.world.now() + offsetMs);
    const menu = outbound(chat, 'القائمة:', ['الأسئلة الشائعة', 'تقديم طلب دعم']);
    await h.adapter.send(menu);
    const storedAt = at(0);
    const answer = outbound(chat, 'يُحال طلبكم إلى لجنة البحث.');
    await h.adapter.send(answer); // the platform took it; the sender died before recording it

    const check = (message: OutboundMessage, previous: OutboundMessage | null, createdAt = storedAt) =>
      h.adapter.wasDelivered?.(message, { createdAt, previous });
    expect(await check(answer, menu)).toBe(true);
    // Never sent: false, so it goes out.
    expect(await check(outbound(chat, 'رسالة لم تُرسل'), answer)).toBe(false);
    // The same words as the anchor: cannot tell them apart, so it is sent (a repeat beats a loss).
    expect(await check(outbound(chat, 'يُحال طلبكم إلى لجنة البحث.'), answer)).toBe(false);
    // An identical text sent before this message was stored is an older message, not this one.
    expect(await check(answer, null, at(60_000))).toBe(false);
    expect(await check(answer, null)).toBe(true);
    // The anchor out of view (another person's chat): not sure, so false.
    expect(await check(outbound(saudiJid(), 'يُحال طلبكم إلى لجنة البحث.'), menu)).toBe(false);

    // A long reply whose first part went out before the crash: only the second is sent.
    const long = outbound(chat, `${'أ'.repeat(3000)}\n${'ب'.repeat(3000)}`);
    failSecondSend(h.client());
    const longStoredAt = at(0);
    await expect(h.adapter.send(long)).rejects.toMatchObject({ kind: 'transient' });
    const restarted = whatsapp();
    restarted.world.sent.push(...h.world.sent); // the same account's chat, seen by a new process
    await restarted.adapter.start(noop);
    restarted.client().emit('ready');
    expect(await restarted.adapter.wasDelivered?.(long, { createdAt: longStoredAt, previous: answer })).toBe(
      false,
    );
    const before = restarted.world.sent.length;
    await restarted.adapter.send(long);
    expect(restarted.world.sent.slice(before).map((s) => s.text[0])).toEqual(['ب']);
    await h.adapter.stop();
    await restarted.adapter.stop();
  });

  it('refuses ids that are not a person and chats WhatsApp does not know as unreachable', async () => {
    const h = whatsapp();
    await h.adapter.start(noop);
    h.client().emit('ready');
    await expect(h.adapter.send(outbound('120363025555555555@g.us', 'x'))).rejects.toMatchObject({
      kind: 'unreachable',
    });
    h.client().sendMessage = async () => undefined as unknown as Message; // whatsapp-web.js: no such chat
    await expect(h.adapter.send(outbound(saudiJid(), 'x'))).rejects.toMatchObject({ kind: 'unreachable' });
    await h.adapter.stop();
  });
});

// ---------------------------------------------------------------------------------------------
// Through the whole bot: inbox, engine, dispatcher, adapter.
// ---------------------------------------------------------------------------------------------

describe('WhatsApp channel with the bot', () => {
  let bot: TestBot;
  let h: Harness;
  let dispatcher: OutboundDispatcher;

  beforeAll(async () => {
    bot = await createTestBot('pglite');
    dispatcher = new OutboundDispatcher({ db: bot.database.db, logger: silentLogger, baseDelayMs: 5 });
    h = whatsapp({ catalog: bot.catalog });
    await h.adapter.start(createInboundHandler(bot.inbox, dispatcher));
    dispatcher.register(h.adapter);
    h.client().emit('ready');
  });

  afterAll(async () => {
    await h?.adapter.stop();
    await dispatcher?.stop();
    await bot?.drop();
  });

  /** Resolves once the inbound message is stored and every reply to its conversation is delivered. */
  async function settled(externalMessageId: string): Promise<string> {
    const db = bot.database.db;
    const inbound = await waitFor(
      () =>
        db
          .selectFrom('messages')
          .select('conversation_id')
          .where('channel', '=', 'whatsapp')
          .where('direction', '=', 'in')
          .where('external_id', '=', externalMessageId)
          .executeTakeFirst(),
      'the inbound message to be stored',
    );
    await waitFor(async () => {
      const pending = await db
        .selectFrom('messages')
        .select('id')
        .where('conversation_id', '=', inbound.conversation_id)
        .where('direction', '=', 'out')
        .where('delivery_status', '=', 'pending')
        .execute();
      return pending.length === 0;
    }, 'the replies to be delivered');
    return inbound.conversation_id;
  }

  /** A WhatsApp user who writes to the bot and reads what comes back. */
  function person(jid = saudiJid()) {
    let n = 0;
    const received = () => h.sent.filter((s) => s.chatId === jid).map((s) => s.text);
    return {
      jid,
      received,
      /** Sends a message; resolves with the replies it produced. */
      async say(text: string, extra: Partial<Parameters<typeof fakeMessage>[0]> = {}) {
        const before = received().length;
        const message = fakeMessage({ from: jid, body: text, id: `${jid}-${++n}`, ...extra });
        h.client().emit('message', message);
        await settled(message.id._serialized);
        return received().slice(before);
      },
    };
  }

  it('takes a whole support request in Arabic: numbered choices answered by digits in both scripts and by words', async () => {
    const p = person();
    const phone = `+${p.jid.slice(0, 12)}`;

    const welcome = await p.say('السلام عليكم', { notifyName: 'فاطمة' });
    const menu = welcome.at(-1) as string;
    expect(menu).toContain('\n\n١. الأسئلة الشائعة\n٢. تقديم طلب دعم\n٣. الاستعلام عن حالة طلب');
    expect(menu).toContain('٥. التحدث مع موظف');

    const intro = await p.say('٢'); // Arabic-Indic digit
    expect(intro.at(-1)).toContain('اسمكم');
    await p.say('فاطمة علي الغامدي');
    const mobile = await p.say('١٢٣٤٥٦٧٨٩٧');
    // WhatsApp vouches for the number: the person confirms it instead of typing it.
    expect(mobile.at(-1)).toContain(`١. استخدام رقمي ${displayPhone(phone)}`);
    const city = await p.say('١');
    expect(city.at(-1)).toContain('مدينة');
    const types = await p.say('مكة المكرمة');
    expect(types.at(-1)).toContain('٥. دعم صحي');
    await p.say('5'); // Western digit: health
    await p.say('٤');
    await p.say('3000');
    const summary = await p.say('علاج والدتي في المستشفى وشراء الأدوية');
    expect(summary.at(-1)).toContain('١. نعم، أُقِرّ بصحتها');
    const submitted = await p.say('نعم'); // a word

    const request = await bot.database.db
      .selectFrom('support_requests')
      .selectAll()
      .where('full_name', '=', 'فاطمة علي الغامدي')
      .executeTakeFirstOrThrow();
    expect(request).toMatchObject({
      mobile_e164: phone,
      support_type: 'health',
      family_size: 4,
      city: 'مكة المكرمة',
    });
    expect(submitted.at(-1)).toContain(`رقم الطلب: ${request.reference}`);
    const identity = await bot.database.db
      .selectFrom('channel_identities')
      .select(['phone_e164', 'display_name'])
      .where('channel', '=', 'whatsapp')
      .where('external_id', '=', p.jid)
      .executeTakeFirstOrThrow();
    expect(identity).toEqual({ phone_e164: phone, display_name: 'فاطمة' });

    // Nothing personal reached the logs: no message text, no phone number, no national ID.
    const logs = h.rawLogs.join('\n');
    expect(logs).not.toContain(p.jid.slice(0, 12));
    expect(logs).not.toContain('فاطمة');
    expect(logs).not.toContain('1234567897');
  });

  it('asks WhatsApp for the number behind a linked id (@lid) and offers it at the mobile question', async () => {
    const lid = `${String(randomInt(1e14)).padStart(15, '1')}@lid`;
    const phoneJid = saudiJid();
    const phone = `+${phoneJid.slice(0, 12)}`;
    h.world.lids.set(lid, phoneJid);
    const p = person(lid);
    await p.say('أبي أقدم طلب دعم');
    await p.say('نورة محمد الشهري');
    const mobile = await p.say('2345678904');
    expect(mobile.at(-1)).toContain(`١. استخدام رقمي ${displayPhone(phone)}`);
    expect(h.sent.filter((s) => s.chatId === lid).length).toBeGreaterThan(0); // replies go to the linked id
    const identity = () =>
      bot.database.db
        .selectFrom('channel_identities')
        .select('phone_e164')
        .where('channel', '=', 'whatsapp')
        .where('external_id', '=', p.jid)
        .executeTakeFirstOrThrow();
    expect((await identity()).phone_e164).toBe(phone);

    // A linked id WhatsApp knows no number for: nothing is claimed, the message is handled all the same.
    const unknown = person(`${String(randomInt(1e14)).padStart(15, '2')}@lid`);
    expect((await unknown.say('السلام عليكم')).at(-1)).toContain('١. الأسئلة الشائعة');
    const stored = await bot.database.db
      .selectFrom('channel_identities')
      .select('phone_e164')
      .where('external_id', '=', unknown.jid)
      .executeTakeFirstOrThrow();
    expect(stored.phone_e164).toBeNull();
  });

  it('answers a picture or a voice note with the text-only line and stores the media kind', async () => {
    const p = person();
    const picture = await p.say('', { type: 'image', hasMedia: true });
    expect(picture).toHaveLength(1);
    expect(picture[0]).toContain('لا أستطيع قراءة الصور');
    expect(picture[0]).toContain('أقرأ الرسائل النصية فقط');
    const voice = await p.say('', { type: 'ptt', hasMedia: true });
    expect(voice[0]).toContain('الرسائل الصوتية');
    const stored = await bot.database.db
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .innerJoin('channel_identities', 'channel_identities.id', 'conversations.identity_id')
      .select(['messages.media_kind', 'messages.text'])
      .where('channel_identities.external_id', '=', p.jid)
      .where('messages.direction', '=', 'in')
      .orderBy('messages.created_at')
      .execute();
    expect(stored).toEqual([
      { media_kind: 'image', text: '' },
      { media_kind: 'voice', text: '' },
    ]);
  });

  it('answers a message WhatsApp delivers twice only once', async () => {
    const p = person();
    const duplicate = fakeMessage({ from: p.jid, body: 'مرحبا', id: 'DUP-1' });
    h.client().emit('message', duplicate);
    h.client().emit('message', duplicate);
    await settled(duplicate.id._serialized);
    // One chat's messages are handled in order: once this one is answered, the duplicate was seen.
    await p.say('القائمة');
    const all = p.received();
    expect(all.filter((t) => t.startsWith('حيّاكم الله'))).toHaveLength(1);
    // The menu once for «مرحبا» and once for «القائمة», not a third time for the redelivery.
    expect(all.filter((t) => t.includes('١. الأسئلة الشائعة'))).toHaveLength(2);
    const inbound = await bot.database.db
      .selectFrom('messages')
      .select('id')
      .where('channel', '=', 'whatsapp')
      .where('external_id', '=', duplicate.id._serialized)
      .execute();
    expect(inbound).toHaveLength(1);
  });

  it('ignores groups, status updates, channels and its own messages: no conversation, no reply', async () => {
    const group = '120363025555555555@g.us';
    const channel = '120363111111111111@newsletter';
    const own = saudiJid();
    const ignoredBefore = h.logs.filter((l) => l.msg === 'whatsapp message ignored').length;
    h.client().emit('message', fakeMessage({ from: group, body: 'السلام عليكم' }));
    h.client().emit('message', fakeMessage({ from: 'status@broadcast', body: 'السلام عليكم' }));
    h.client().emit('message', fakeMessage({ from: channel, body: 'السلام عليكم' }));
    h.client().emit('message', fakeMessage({ from: own, body: 'السلام عليكم', fromMe: true }));
    await person().say('السلام عليكم'); // a real one still goes through meanwhile
    await pause(30);
    expect(h.logs.filter((l) => l.msg === 'whatsapp message ignored').length - ignoredBefore).toBe(4);
    const identities = await bot.database.db
      .selectFrom('channel_identities')
      .select('external_id')
      .where('external_id', 'in', [group, 'status@broadcast', channel, own])
      .execute();
    expect(identities).toEqual([]);
    expect(h.sent.filter((s) => [group, 'status@broadcast', channel, own].includes(s.chatId))).toEqual([]);
  });

  it('refuses to send while disconnected (transient) and delivers the reply once WhatsApp is ready again', async () => {
    let offline!: Harness;
    let retries = 0;
    const retrying = new OutboundDispatcher({
      db: bot.database.db,
      logger: silentLogger,
      baseDelayMs: 5,
      // The dispatcher's wait before its retry: meanwhile WhatsApp reconnects.
      sleep: async () => {
        if (++retries > 1) return;
        await waitFor(() => offline.clients.length === 2, 'the reconnect');
        offline.client().emit('ready');
      },
    });
    offline = whatsapp({ catalog: bot.catalog, reconnect: { baseDelayMs: 20, maxDelayMs: 20 } });
    try {
      await offline.adapter.start(createInboundHandler(bot.inbox, retrying));
      retrying.register(offline.adapter);
      offline.client().emit('ready');
      offline.client().emit('disconnected', 'UNPAIRED');
      expect(offline.health.get('whatsapp')?.state).toBe('down');

      const jid = saudiJid();
      const direct = offline.adapter.send(outbound(jid, 'x'));
      await expect(direct).rejects.toBeInstanceOf(ChannelSendError);
      await expect(direct).rejects.toMatchObject({ kind: 'transient', details: { code: 'not_ready' } });

      // A message that arrived (stored) while the channel went down, then its delivery.
      const result = await bot.inbox.receive({
        channel: 'whatsapp',
        externalUserId: jid,
        externalMessageId: `${jid}-offline`,
        text: 'السلام عليكم',
      });
      await retrying.deliverConversation(result.conversationId);
      const rows = await bot.database.db
        .selectFrom('messages')
        .select(['delivery_status', 'delivery_attempts', 'delivery_error'])
        .where('conversation_id', '=', result.conversationId)
        .where('direction', '=', 'out')
        .orderBy('created_at')
        .orderBy('position')
        .execute();
      expect(rows.every((r) => r.delivery_status === 'sent')).toBe(true);
      expect(rows[0]?.delivery_attempts).toBe(1); // one transient failure, then delivered
      expect(offline.sent.filter((s) => s.chatId === jid).map((s) => s.client)).toEqual(rows.map(() => 1));
    } finally {
      await offline.adapter.stop();
      await retrying.stop();
    }
  });
});
