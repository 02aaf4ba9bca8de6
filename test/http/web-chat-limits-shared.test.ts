import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bot, createBot } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { buildServer } from '../../src/http/server.js';
import { createLogger } from '../../src/logger.js';
import { freePort } from '../support/app-process.js';
import { storedInboundTexts } from '../support/conversations.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { sleep, TEST_REDIS_URL } from '../support/follow-up-bots.js';

const TOKEN = 't'.repeat(32);
/** The limits' window in these tests: long enough for a test's few turns, short enough to wait out. */
const WINDOW_MS = 3_000;

/** Two "processes" of the app on one PostgreSQL schema: two bots, two HTTP servers. */
interface TwoProcesses {
  apps: [FastifyInstance, FastifyInstance];
  database: TestDatabase;
  /** Everything either server logged. */
  logs: string[];
  close(): Promise<void>;
}

async function twoProcesses(
  env: Record<string, string>,
  overrides: { windowMs?: number; redisPrefix?: string },
): Promise<TwoProcesses> {
  const config = loadConfig({ LOG_LEVEL: 'warn', ...env });
  const logs: string[] = [];
  const logger = createLogger(
    'warn',
    new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    }),
  );
  const database = await openTestDatabase('postgres');
  const bots: Bot[] = [];
  const apps: FastifyInstance[] = [];
  for (const handle of [database.handle, await database.reopen()]) {
    const bot = await createBot({ config, logger, database: handle });
    bots.push(bot);
    apps.push(await buildServer({ bot, logger, metricsToken: TOKEN, webChatLimitOverrides: overrides }));
  }
  return {
    apps: apps as [FastifyInstance, FastifyInstance],
    database,
    logs,
    close: async () => {
      await Promise.all(apps.map((app) => app.close()));
      await Promise.all(bots.map((bot) => bot.close()));
      await database.drop();
    },
  };
}

const send = (app: FastifyInstance, visitorId: string, text: string, remoteAddress: string) =>
  app.inject({
    method: 'POST',
    url: '/api/chat/messages',
    payload: { visitorId, messageId: randomUUID(), text },
    remoteAddress,
  });

const storedInbound = (database: TestDatabase, visitorId: string) =>
  storedInboundTexts(database.handle.db, visitorId);

async function refusedMetric(app: FastifyInstance, scope: 'visitor' | 'address'): Promise<number> {
  const metrics = await app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const match = new RegExp(`^aiou_web_chat_refused_total\\{scope="${scope}"\\} (\\d+)$`, 'm').exec(
    metrics.body,
  );
  return Number(match?.[1] ?? 0);
}

/** A different documentation address (RFC 5737) for every call, so tests never share an address's count. */
let addressSeq = 0;
const newAddress = () => `198.51.100.${++addressSeq}`;

/** A counted key as the store keeps it: the scope and an HMAC, nothing of the visitor or address. */
const HASHED_KEY = /(^|-)(visitor|address):[A-Za-z0-9_-]{43}$/;

/**
 * Several processes behind a load balancer share the web chat's flood limits: counted in Redis
 * when REDIS_URL is set, else in the PostgreSQL every process uses. Two app instances on one
 * database stand for two processes; a visitor alternating between them gets the limit in total.
 */
describe.each<{ counts: 'postgres' | 'redis'; env: Record<string, string> }>([
  { counts: 'postgres', env: {} },
  { counts: 'redis', env: { REDIS_URL: TEST_REDIS_URL } },
])('web chat flood limits shared by two processes ($counts)', ({ counts, env }) => {
  let processes: TwoProcesses;
  let a: FastifyInstance;
  let b: FastifyInstance;
  const redisPrefix = `test-limits-${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });

  beforeAll(async () => {
    processes = await twoProcesses(
      { WEB_CHAT_MAX_PER_MINUTE: '3', WEB_CHAT_MAX_PER_MINUTE_PER_IP: '5', ...env },
      { windowMs: WINDOW_MS, redisPrefix },
    );
    [a, b] = processes.apps;
    await redis.connect();
  });
  afterAll(async () => {
    await processes.close();
    const keys = await redis.keys(`${redisPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  /** The counted keys wherever this suite's counts live. */
  const countedKeys = async () =>
    counts === 'redis'
      ? redis.keys(`${redisPrefix}*`)
      : (await processes.database.handle.db.selectFrom('web_chat_limit_counts').select('key').execute()).map(
          (row) => row.key,
        );

  it("counts a visitor's messages on both processes together", async () => {
    const visitor = randomUUID();
    const address = newAddress();
    for (const [app, text] of [
      [a, 'السلام عليكم'],
      [b, '١'],
      [a, 'القائمة'],
    ] as const)
      expect((await send(app, visitor, text, address)).statusCode).toBe(200);

    const refusedOnB = await send(b, visitor, 'رسالة رابعة', address);
    expect(refusedOnB.statusCode).toBe(429);
    expect(refusedOnB.json()).toMatchObject({ error: 'rate_limited' });
    const retryAfter = Number(refusedOnB.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);
    expect((await send(a, visitor, 'رسالة خامسة', address)).statusCode).toBe(429);
    expect(await storedInbound(processes.database, visitor)).toEqual(['السلام عليكم', '١', 'القائمة']);
    expect(await refusedMetric(a, 'visitor')).toBe(1);
    expect(await refusedMetric(b, 'visitor')).toBe(1);
  });

  it("counts an address's visitors on both processes together", async () => {
    const address = newAddress();
    for (let i = 0; i < 5; i++)
      expect((await send(i % 2 ? b : a, randomUUID(), 'مرحبا', address)).statusCode).toBe(200);
    const flood = randomUUID();
    expect((await send(b, flood, 'مرحبا', address)).statusCode).toBe(429);
    expect((await send(a, flood, 'مرحبا', address)).statusCode).toBe(429);
    expect(await storedInbound(processes.database, flood)).toEqual([]);
    expect((await refusedMetric(a, 'address')) + (await refusedMetric(b, 'address'))).toBe(2);
    // Another address is counted apart.
    expect((await send(a, randomUUID(), 'مرحبا', newAddress())).statusCode).toBe(200);
  });

  it(`keeps the counts in ${counts}, under HMACs of the visitor id and the address`, async () => {
    const visitor = randomUUID();
    const address = newAddress();
    expect((await send(a, visitor, 'مرحبا', address)).statusCode).toBe(200);
    const keys = await countedKeys();
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const key of keys) {
      expect(key).toMatch(HASHED_KEY);
      expect(key).not.toContain(visitor);
      expect(key).not.toContain(address);
    }
    if (counts === 'redis') {
      const inPostgres = await processes.database.handle.db
        .selectFrom('web_chat_limit_counts')
        .select('key')
        .execute();
      expect(inPostgres).toEqual([]);
      // Under their own prefix, with the window as their expiry.
      const ttl = await redis.pttl(keys[0] as string);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(WINDOW_MS);
    }
  });

  it('starts counting afresh when the window ends', async () => {
    const visitor = randomUUID();
    const address = newAddress();
    for (const app of [a, b, a]) expect((await send(app, visitor, 'مرحبا', address)).statusCode).toBe(200);
    const refused = await send(b, visitor, 'بعد قليل', address);
    expect(refused.statusCode).toBe(429);
    await sleep(Number(refused.headers['retry-after']) * 1000 + 100);

    expect((await send(b, visitor, 'بعد قليل', address)).statusCode).toBe(200);
    expect((await send(a, visitor, 'وأخرى', address)).statusCode).toBe(200);
    expect(await storedInbound(processes.database, visitor)).toEqual([
      'مرحبا',
      'مرحبا',
      'مرحبا',
      'بعد قليل',
      'وأخرى',
    ]);
  });

  // Only the PostgreSQL store keeps rows to clean up (Redis expires its keys itself).
  if (counts === 'postgres')
    it('deletes the counts whose window has ended', async () => {
      // A whole window after every earlier count: each has ended, and each process has its
      // once-a-window clean-up due.
      await sleep(WINDOW_MS + 100);
      expect((await send(a, randomUUID(), 'مرحبا', newAddress())).statusCode).toBe(200);
      const rows = await processes.database.handle.db
        .selectFrom('web_chat_limit_counts')
        .select('hits')
        .execute();
      // Only the new visitor's and the new address's counts are left.
      expect(rows.map((row) => row.hits)).toEqual([1, 1]);
    });
});

/** A TCP relay in front of the real Redis that the test can take down, stall and bring back. */
class RedisRelay {
  private server: Server | undefined;
  /** Each client connection and its connection to Redis. */
  private readonly pairs = new Map<Socket, Socket>();
  private stalled = false;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const target = new URL(TEST_REDIS_URL);
    this.server = createServer((client) => {
      const upstream = tcpConnect(Number(target.port || 6379), target.hostname);
      this.pairs.set(client, upstream);
      for (const socket of [client, upstream]) {
        socket.on('error', () => socket.destroy());
        socket.on('close', () => {
          this.pairs.delete(client);
          client.destroy();
          upstream.destroy();
        });
      }
      upstream.pipe(client);
      if (!this.stalled) client.pipe(upstream);
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
  }

  /** Redis gone: every connection dropped, nothing listening. */
  async down(): Promise<void> {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  /** Redis connected but not answering: commands are held until `resume`. */
  stall(): void {
    this.stalled = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      client.pause();
    }
  }

  resume(): void {
    this.stalled = false;
    for (const [client, upstream] of this.pairs) client.pipe(upstream);
  }
}

/**
 * The counts are a protection, the endpoint is how beneficiaries reach the association: when
 * Redis is down or stops answering, messages are let through uncounted (and a warning is
 * logged) rather than refused or held, and counting resumes once Redis is back.
 */
describe('web chat flood limits while Redis is unavailable', () => {
  let processes: TwoProcesses;
  let app: FastifyInstance;
  let relay: RedisRelay;
  const address = newAddress();

  beforeAll(async () => {
    relay = new RedisRelay(await freePort());
    // Down from the start: the server must start all the same.
    processes = await twoProcesses(
      { WEB_CHAT_MAX_PER_MINUTE: '2', WEB_CHAT_MAX_PER_MINUTE_PER_IP: '1000', REDIS_URL: relay.url },
      { redisPrefix: `test-limits-${randomBytes(4).toString('hex')}:` },
    );
    app = processes.apps[0];
  });
  afterAll(async () => {
    await processes.close();
    await relay.down();
  });

  /** A new visitor sends three messages quickly, each answered within `withinMs`; their statuses. */
  async function threeMessages(withinMs: number): Promise<{ visitor: string; statuses: number[] }> {
    const visitor = randomUUID();
    const statuses: number[] = [];
    for (const text of ['مرحبا', '١', '٢']) {
      const started = Date.now();
      statuses.push((await send(app, visitor, text, address)).statusCode);
      expect(Date.now() - started).toBeLessThan(withinMs);
    }
    return { visitor, statuses };
  }

  /** Waits until the limit holds again (the connection is back), or fails after 15 s. */
  async function untilCountedAgain(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { statuses } = await threeMessages(5_000);
      if (statuses[2] === 429) return;
      if (Date.now() > deadline) throw new Error(`the limit never held again: ${statuses.join(', ')}`);
      await sleep(200);
    }
  }

  const warnings = () =>
    processes.logs
      .map((line) => JSON.parse(line) as { level: number; msg: string; counts?: string })
      .filter(
        (entry) => entry.msg === 'web chat flood limits unavailable: messages are let through uncounted',
      );

  it('lets messages through uncounted while Redis is down, and logs a warning', async () => {
    const { visitor, statuses } = await threeMessages(5_000);
    expect(statuses).toEqual([200, 200, 200]);
    expect(await storedInbound(processes.database, visitor)).toEqual(['مرحبا', '١', '٢']);
    expect(warnings().length).toBeGreaterThanOrEqual(1);
    expect(warnings()[0]).toMatchObject({ level: 40, counts: 'redis' });
  });

  it('counts again once Redis is back', async () => {
    await relay.up();
    await untilCountedAgain();
  });

  it('lets messages through after a short wait, not held, while Redis does not answer', async () => {
    relay.stall();
    try {
      // Each check gives up after its command timeout (500 ms) instead of waiting for Redis.
      const { visitor, statuses } = await threeMessages(3_000);
      expect(statuses).toEqual([200, 200, 200]);
      expect(await storedInbound(processes.database, visitor)).toHaveLength(3);
    } finally {
      relay.resume();
    }
    await untilCountedAgain();
  });

  it('goes down and comes back again without a restart', async () => {
    await relay.down();
    const { statuses } = await threeMessages(5_000);
    expect(statuses).toEqual([200, 200, 200]);
    await relay.up();
    await untilCountedAgain();
    // At most one warning a minute per process, however many messages went uncounted.
    expect(warnings().length).toBeLessThanOrEqual(2);
  });
});
