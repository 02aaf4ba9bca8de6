/**
 * The simulator: `npm run --silent simulate`. Reads JSON lines on stdin, one beneficiary
 * message each — {"user":"u1","text":"…","channel":"web"|"telegram"|"whatsapp","id":"…"} —
 * and writes one JSON line per bot reply on stdout:
 * {"user":"u1","text":"…","choices":["…"],"flow":"<flow id>","node":"<node id>"}.
 * Every reply to a line is written before the next line is read. Logs go to stderr. Each run
 * starts on a fresh in-memory database unless DATABASE_URL is set.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { createBot } from '../app.js';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';

const inputLine = z.object({
  user: z.string().min(1).max(200),
  text: z.string(),
  channel: z.enum(['web', 'telegram', 'whatsapp']).default('web'),
  /** Optional message id: send the same id twice to see a redelivery recognised. */
  id: z.string().min(1).max(200).optional(),
});

function write(line: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(`${JSON.stringify(line)}\n`, (error) => (error ? reject(error) : resolve()));
  });
}

async function main(): Promise<number> {
  const config = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
  const logger = createLogger(config.LOG_LEVEL);
  const bot = await createBot({
    config,
    logger,
    dataDir: 'memory://',
    inlineDelivery: new Set(['web', 'telegram', 'whatsapp']),
  });
  const runId = randomUUID();
  try {
    const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
    let lineNumber = 0;
    for await (const raw of lines) {
      lineNumber++;
      if (raw.trim() === '') continue;
      let parsed: z.infer<typeof inputLine>;
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
      const result = await bot.inbox.receive({
        channel: parsed.channel,
        externalUserId: parsed.user,
        externalMessageId: parsed.id ?? `${runId}:${lineNumber}`,
        text: parsed.text,
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
