import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Bot, createBot } from '../../src/app.js';
import { loadConfig, PROJECT_ROOT } from '../../src/config.js';
import { silentLogger } from '../support/bot.js';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/databases.js';
import { StandInChannelAdapter, StandInChannelServer } from '../support/stand-in-channel.js';

const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKER = join(PROJECT_ROOT, 'test', 'jobs', 'fixtures', 'delivery-worker.ts');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(50);
  }
}

/** Every outbound message the bot stored, per conversation, in the order it must reach the beneficiary. */
async function storedOutbound(bot: Bot) {
  return bot.database.db
    .selectFrom('messages')
    .select(['id', 'conversation_id', 'delivery_status'])
    .where('direction', '=', 'out')
    .orderBy('created_at')
    .orderBy('position')
    .execute();
}

/**
 * Outbound delivery through BullMQ on real Redis and PostgreSQL, against a stand-in messaging
 * platform reached over HTTP that honours the message id as an idempotency key (as the channel
 * adapters send it).
 */
describe('outbound delivery survives crashes and refusals', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let channel: StandInChannelServer;
  let channelUrl: string;
  const children: ChildProcess[] = [];
  const bots: Bot[] = [];

  /** The bot that takes beneficiaries' messages (and queues replies); its own workers only if asked. */
  async function producer(prefix: string, startWorkers: boolean): Promise<Bot> {
    const bot = await createBot({
      config: loadConfig({ LOG_LEVEL: 'silent' }),
      logger: silentLogger,
      database: database.handle,
      jobs: { redisUrl: TEST_REDIS_URL, prefix },
      sweepIntervalMs: 300,
    });
    bots.push(bot);
    if (startWorkers) {
      bot.jobs?.outbound.register(new StandInChannelAdapter(channelUrl));
      await bot.jobs?.start();
    }
    return bot;
  }

  /** A delivery worker in a process of its own (test/jobs/fixtures/delivery-worker.ts). */
  async function spawnWorker(prefix: string, readsHistory: boolean): Promise<ChildProcess> {
    // Node itself (tsx as a loader): SIGKILL and SIGTERM reach the worker, not a wrapper.
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        DATABASE_URL: TEST_DATABASE_URL,
        TEST_SCHEMA: database.schema ?? '',
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        CHANNEL_URL: channelUrl,
        DELIVERY_LEASE_MS: '1500',
        CHANNEL_HISTORY: String(readsHistory),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      child.once('exit', (code) =>
        reject(new Error(`worker exited with ${code} before it was ready: ${output}`)),
      );
    });
    return child;
  }

  const exited = (child: ChildProcess) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve({ code: child.exitCode, signal: child.signalCode });
      } else child.once('exit', (code, signal) => resolve({ code, signal }));
    });

  const say = (bot: Bot, user: string, text: string) =>
    bot.inbox.receive({ channel: 'telegram', externalUserId: user, externalMessageId: randomUUID(), text });

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    for (const bot of bots.splice(0)) await bot.close();
    await channel?.stop();
    // Both tests share the database: the next one starts from a clean slate of messages.
    await database.handle.db.deleteFrom('messages').execute();
  });
  afterAll(async () => {
    await database.drop();
  });

  it.each([
    ['a platform honouring the idempotency key', false],
    ['a platform whose history can be read back', true],
  ])(
    'a worker killed (SIGKILL) mid-batch, %s: after a restart every message arrives exactly once, in order',
    async (_name, readsHistory) => {
      channel = new StandInChannelServer();
      channelUrl = await channel.start();
      channel.latencyMs = 15;
      const prefix = `test-${randomBytes(4).toString('hex')}`;
      const bot = await producer(prefix, false);

      // Four beneficiaries, each with a long exchange: greetings, menu choices, FAQ answers and
      // staff replies, so each conversation has many messages queued in many batches.
      const users = Array.from({ length: 4 }, () => `u-${randomUUID()}`);
      for (const user of users) {
        const { conversationId } = await say(bot, user, 'السلام عليكم');
        await say(bot, user, '1');
        await say(bot, user, 'القائمة');
        for (let n = 1; n <= 8; n++)
          await bot.control.reply(conversationId, randomUUID(), `رسالة الموظف رقم ${n}`);
        await say(bot, user, 'متى يصدر القرار في طلبي؟');
      }
      const stored = await storedOutbound(bot);
      expect(stored.length).toBeGreaterThanOrEqual(48);
      expect(stored.every((message) => message.delivery_status === 'pending')).toBe(true);

      // The worker dies the moment the platform has taken the 25th message and before it could
      // hear back: the one gap an at-least-once sender cannot close by itself.
      let first: ChildProcess | undefined;
      let killedAt = 0;
      channel.answer = () => {
        if (channel.delivered.length < 24 || killedAt) return { status: 200 };
        killedAt = Date.now();
        first?.kill('SIGKILL');
        return 'hang';
      };
      first = await spawnWorker(prefix, readsHistory);
      expect(await exited(first)).toEqual({ code: null, signal: 'SIGKILL' });
      const beforeRestart = channel.delivered.length;
      expect(beforeRestart).toBeGreaterThanOrEqual(25);
      expect(beforeRestart).toBeLessThan(stored.length);
      const unfinished = (await storedOutbound(bot)).filter(
        (message) => message.delivery_status === 'pending',
      );
      expect(unfinished.length).toBeGreaterThan(0);

      // A new worker takes over: the dead one's lease runs out, the sweep and BullMQ's stalled-job
      // check bring its batches back.
      const restartedAt = Date.now();
      const second = await spawnWorker(prefix, readsHistory);
      await until(async () =>
        (await storedOutbound(bot)).every((message) => message.delivery_status === 'sent'),
      );
      await until(() => channel.delivered.length === stored.length);

      // Exactly once: every stored message reached the beneficiary once, nothing else did.
      expect(channel.delivered.map((receipt) => receipt.id).sort()).toEqual(stored.map((m) => m.id).sort());
      // In order, per conversation.
      for (const user of users) {
        const conversationId = channel.to(user)[0]?.conversationId;
        const expected = stored.filter((m) => m.conversation_id === conversationId).map((m) => m.id);
        expect(channel.to(user).map((receipt) => receipt.id)).toEqual(expected);
      }
      const repeated = stored.filter((message) => channel.attemptsOf(message.id) > 1);
      if (readsHistory) {
        // The new worker looked up what the dead one had sent unrecorded: nothing went out twice.
        expect(repeated).toEqual([]);
      }
      // Otherwise only what was in flight at the kill was sent again, with the same key.
      else expect(repeated.length).toBeGreaterThanOrEqual(1);
      for (const message of repeated) {
        expect(channel.attemptsOf(message.id)).toBe(2);
        expect(channel.receipts.find((receipt) => receipt.id === message.id)?.at).toBeLessThan(restartedAt);
      }

      // A graceful stop: SIGTERM finishes in-flight work and exits 0.
      second.kill('SIGTERM');
      expect(await exited(second)).toEqual({ code: 0, signal: null });
    },
  );

  it('a platform answering 429 and 5xx: delivery waits, retries, and loses nothing', async () => {
    channel = new StandInChannelServer();
    channelUrl = await channel.start();
    const refusals: Array<{ status: number; retryAfterSeconds?: number }> = [
      { status: 503 },
      { status: 502 },
      { status: 429, retryAfterSeconds: 1 },
      { status: 500 },
      { status: 429, retryAfterSeconds: 1 },
    ];
    let refusedAt429 = 0;
    channel.answer = () => {
      const next = refusals.shift();
      if (!next) return { status: 200 };
      if (next.status === 429) refusedAt429 = Date.now();
      return next;
    };
    const prefix = `test-${randomBytes(4).toString('hex')}`;
    const bot = await producer(prefix, true);
    const user = `u-${randomUUID()}`;
    const { conversationId } = await say(bot, user, 'السلام عليكم');
    for (let n = 1; n <= 5; n++) await bot.control.reply(conversationId, randomUUID(), `رسالة رقم ${n}`);

    const stored = await storedOutbound(bot);
    await until(() => channel.delivered.length === stored.length);
    expect(channel.to(user).map((receipt) => receipt.id)).toEqual(stored.map((m) => m.id));
    expect(channel.receipts.length).toBe(stored.length + 5); // each refusal retried once it passed
    // After a 429 nothing was sent before its Retry-After had passed.
    const afterLast429 = channel.receipts.filter((receipt) => receipt.at > refusedAt429);
    expect(afterLast429[0]?.at ?? 0).toBeGreaterThanOrEqual(refusedAt429 + 950);
    await until(async () =>
      (await storedOutbound(bot)).every((message) => message.delivery_status === 'sent'),
    );
  });
});
