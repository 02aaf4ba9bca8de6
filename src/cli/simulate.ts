/**
 * The simulator: `npm run --silent simulate`. Reads JSON lines on stdin, one beneficiary
 * message each — {"user":"u1","text":"…","channel":"web"|"telegram"|"whatsapp","id":"…"} —
 * and writes one JSON line per bot reply on stdout:
 * {"user":"u1","text":"…","choices":["…"],"flow":"<flow id>","node":"<node id>"}.
 * {"user":"u1","advance":"25h"} moves the simulated clock forward, runs every follow-up that
 * has come due (through the real queues) and writes their messages the same way.
 * Every reply to a line is written before the next line is read. Logs go to stderr. Each run
 * starts on a fresh in-memory database unless DATABASE_URL is set.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { type Bot, createBot } from '../app.js';
import type { ChannelAdapter, ChannelName, OutboundMessage } from '../channels/types.js';
import { SimulatedClock } from '../clock.js';
import { ConfigError, loadConfig } from '../config.js';
import { parseDuration } from '../duration.js';
import { createLogger } from '../logger.js';

const channel = z.enum(['web', 'telegram', 'whatsapp']).default('web');
const messageLine = z.object({
  user: z.string().min(1).max(200),
  text: z.string(),
  channel,
  /** Optional message id: send the same id twice to see a redelivery recognised. */
  id: z.string().min(1).max(200).optional(),
});
const advanceLine = z.object({
  user: z.string().min(1).max(200).optional(),
  advance: z
    .string()
    .refine((text) => parseDuration(text) !== undefined, 'expected a duration such as 30m, 25h or 7d'),
});
const inputLine = z.union([advanceLine, messageLine]);

/** The simulator's stand-in for a channel: what the outbound queue delivers is written to stdout. */
function stdoutChannel(name: ChannelName): ChannelAdapter {
  return {
    channel: name,
    capabilities: { buttons: true, maxButtons: 100, maxTextLength: 100_000 },
    async start() {},
    async stop() {},
    send: (message: OutboundMessage) =>
      write({
        user: message.externalUserId,
        text: message.text,
        choices: message.choices,
        flow: message.flowId,
        node: message.nodeId,
      }),
  };
}

/** Resolves once nothing is waiting for delivery (follow-ups' messages have all been written). */
async function drained(bot: Bot, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await bot.database.db
      .selectFrom('messages')
      .select('id')
      .where('direction', '=', 'out')
      .where('delivery_status', '=', 'pending')
      .limit(1)
      .executeTakeFirst();
    if (!pending) return;
    if (Date.now() > deadline) throw new Error('follow-up messages were not delivered in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function write(line: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(`${JSON.stringify(line)}\n`, (error) => (error ? reject(error) : resolve()));
  });
}

async function main(): Promise<number> {
  const config = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
  const logger = createLogger(config.LOG_LEVEL);
  const clock = new SimulatedClock();
  const bot = await createBot({
    config,
    logger,
    dataDir: 'memory://',
    inlineDelivery: new Set(['web', 'telegram', 'whatsapp']),
    clock,
    // Queues of its own for every run, in memory.
    jobs: { embeddedDataDir: 'memory://' },
  });
  const jobs = bot.jobs;
  if (!jobs) throw new Error('the job queues did not open');
  for (const name of ['web', 'telegram', 'whatsapp'] as const) jobs.outbound.register(stdoutChannel(name));
  await jobs.start();
  const runId = randomUUID();
  try {
    const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
    let lineNumber = 0;
    for await (const raw of lines) {
      lineNumber++;
      if (raw.trim() === '') continue;
      let parsed: z.output<typeof inputLine>;
      try {
        parsed = inputLine.parse(JSON.parse(raw));
      } catch (error) {
        const reason =
          error instanceof z.ZodError
            ? error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
            : 'not valid JSON';
        console.error(`simulate: line ${lineNumber} ignored: ${reason}`);
        continue;
      }
      if ('advance' in parsed) {
        clock.advance(parseDuration(parsed.advance) as number);
        await jobs.followUps.runDue();
        await drained(bot);
        continue;
      }
      const result = await bot.inbox.receive({
        channel: parsed.channel,
        externalUserId: parsed.user,
        externalMessageId: parsed.id ?? `${runId}:${lineNumber}`,
        text: parsed.text,
        receivedAt: clock.now(),
      });
      for (const reply of result.replies) {
        await write({
          user: parsed.user,
          text: reply.text,
          choices: reply.choices,
          flow: reply.flowId,
          node: reply.nodeId,
        });
      }
    }
    return 0;
  } finally {
    await bot.close();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exitCode = 1;
}
