/**
 * Job throughput benchmark: `npm run --silent bench:jobs` (issue #4's proof).
 *
 * For each job backend (Redis, and BullMQ's PostgreSQL backend) it measures, through the bot's
 * real queues (`createBot({ jobs })`):
 *
 *   - outbound deliveries per second: simulated beneficiaries walk into the intake over Telegram
 *     (greeting → «٢» → their name), which leaves their replies pending in the database; one
 *     delivery job per batch of replies is queued with `jobs.outbound.deliverConversation`
 *     (keyed by the inbound message, as the inbox does), then the outbound worker is started
 *     and timed until every message is marked sent on an in-process stand-in channel;
 *   - delayed follow-ups processed per second: the intake reminder each of those conversations
 *     got is made due a few seconds ahead and queued with `jobs.followUps.enqueue`; the follow-up
 *     worker is timed from that moment until every row is marked done and every reminder
 *     (the notice and the question asked again) has been sent, the outbound worker running
 *     beside it as in the app.
 *
 * Next to each, the durable floor: a bare worker on the same backend whose processor only commits
 * what the workload must record in PostgreSQL (deliveryFloor, followUpFloor): as far as any
 * implementation that records its work there can go on this machine.
 *
 * And the ceiling: a bare BullMQ worker with an empty processor on the same backend
 * (the same `JobBackend`, so the same connection kind), the same number of jobs with the same
 * options (and the same delay for follow-ups), the same concurrency, in the same run. The ratio
 * compares the time the same workload took, so the ceiling is shown per item (message or
 * follow-up) like ours. Target: at least 40% of the ceiling. A missed target prints a warning;
 * the exit code is 0 either way (a benchmark reports, it does not fail CI).
 *
 * Everything lives in fresh places (an app schema and a BullMQ schema in PostgreSQL, a Redis key
 * prefix), removed at the end.
 *
 * Environment:
 *   BENCH_CONVERSATIONS      conversations seeded (default 500; 3 turns and 5 replies each, and
 *                            one intake reminder each)
 *   BENCH_JOB_BACKENDS       comma list of redis,postgres,pglite (default redis,postgres)
 *   BENCH_FOLLOW_UP_DELAY_MS how far ahead the follow-ups are made due (default 3000)
 *   BENCH_SEND_MS            time the stand-in channel takes per send (default 0: one event-loop turn)
 *   BENCH_DATABASE_URL / TEST_DATABASE_URL  PostgreSQL (default postgres://postgres@127.0.0.1:5432/test)
 *   BENCH_REDIS_URL / TEST_REDIS_URL        Redis (default redis://127.0.0.1:6379)
 *   DELIVERY_CONCURRENCY     as in the app (default 16)
 *   FOLLOW_UP_CONCURRENCY    as in the app (default 128)
 *   BENCH_PROFILE            a folder: a CPU profile of each timed phase of ours is written there
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pg from 'pg';
import { type Bot, type BotJobs, createBot } from '../src/app.js';
import type { ChannelAdapter, OutboundMessage } from '../src/channels/types.js';
import { type Config, loadConfig } from '../src/config.js';
import type { JobBackend, JobBackendKind, JobBackendOptions } from '../src/jobs/backend.js';
import { followUpJobOptions } from '../src/jobs/follow-up-queue.js';
import { createLogger } from '../src/logger.js';
import { deliveryJobOptions } from '../src/outbound/outbound-queue.js';
import { type DatabaseHandle, openDatabase } from '../src/storage/database.js';
import { StatementBatcher } from '../src/storage/statement-batcher.js';
import { cpuMeter, intEnv, profiled, StatementCounter } from './support.js';

const CONVERSATIONS = intEnv('BENCH_CONVERSATIONS', 500);
const FOLLOW_UP_DELAY_MS = intEnv('BENCH_FOLLOW_UP_DELAY_MS', 3000, 100);
const SEND_MS = intEnv('BENCH_SEND_MS', 0, 0);
const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ||
  process.env.TEST_DATABASE_URL ||
  'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.BENCH_REDIS_URL || process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const BACKENDS = (process.env.BENCH_JOB_BACKENDS ?? 'redis,postgres')
  .split(',')
  .map((name) => name.trim())
  .filter((name): name is JobBackendKind => ['redis', 'postgres', 'pglite'].includes(name));

/** Share of the bare worker's rate the real code must reach. */
const TARGET_SHARE = 0.4;
/** Inbound turns seeded in parallel (setup only, untimed). */
const SEED_CONCURRENCY = 8;
/** A phase that has not finished after this long is reported as stuck, not waited on forever. */
const PHASE_TIMEOUT_MS = 120_000;
/** How often the end of a phase is looked for in the database. */
const POLL_MS = 10;

/** Each conversation's turns: they end at the intake's second question, a reminder scheduled. */
const TURNS = ['السلام عليكم', '٢', 'محمد عبدالله القحطاني'] as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The stand-in channel: accepts every send in-process (no network), optionally after a delay,
 * and records the order per conversation so the benchmark can check nothing overtook anything.
 */
class StandInChannel implements ChannelAdapter {
  readonly channel = 'telegram' as const;
  readonly capabilities = { buttons: true, maxButtons: 10, maxTextLength: 4096 };
  readonly sentIds = new Map<string, string[]>();
  sends = 0;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(message: OutboundMessage): Promise<void> {
    if (SEND_MS > 0) await sleep(SEND_MS);
    else await nextTurn();
    this.sends++;
    const list = this.sentIds.get(message.conversationId) ?? [];
    list.push(message.id);
    this.sentIds.set(message.conversationId, list);
  }
}

/** One delivery job as the inbox queues it: the conversation and the turn that produced the replies. */
interface Batch {
  conversationId: string;
  batchKey: string;
  /** The replies the turn stored, carried by the job as the inbox's are. */
  messageIds: string[];
}

interface Measurement {
  /** Items done: messages marked sent, or follow-ups marked done. */
  items: number;
  jobs: number;
  seconds: number;
  /** SQL statements the app sent while timed (ours only). */
  statements?: number;
  /**
   * CPU time the whole machine was busy while timed (this process, PostgreSQL, Redis), in ms;
   * undefined off Linux. Steadier than throughput on a shared VM, whose steal time swings.
   */
  cpuMs?: number | undefined;
  /** Of which this process (the bot, BullMQ's client, the benchmark's polling), in ms. */
  processCpuMs?: number;
}

interface WorkloadResult {
  workload: 'outbound deliveries' | 'delayed follow-ups';
  ours: Measurement;
  ceiling: Measurement;
  /**
   * The durable floor: the same jobs through a bare worker whose processor only writes what the
   * workload must commit to PostgreSQL before it counts (deliveryFloor, followUpFloor), group-committed.
   */
  floor: Measurement;
  /** What went wrong with correctness (order, duplicates, rows left behind); empty when all is well. */
  problems: string[];
}

/** One backend's run: the bot under test and what the benchmark watches it with. */
interface Run {
  kind: JobBackendKind;
  jobs: BotJobs;
  /** The app database without the statement counter: the benchmark's own reads are not counted. */
  db: DatabaseHandle['db'];
  counter: StatementCounter;
  channel: StandInChannel;
  deliveryConcurrency: number;
  followUpConcurrency: number;
  /** INTAKE_REMINDER_AFTER: how long after the last answer a reminder falls due. */
  reminderAfterMs: number;
}

/** Polls `remaining` until it reaches 0; returns the seconds since `since`, or throws when stuck. */
async function waitUntilNone(remaining: () => Promise<number>, since: number, what: string): Promise<number> {
  for (;;) {
    const left = await remaining();
    if (left === 0) return (performance.now() - since) / 1000;
    if (performance.now() - since > PHASE_TIMEOUT_MS)
      throw new Error(`${what}: ${left} still not done after ${PHASE_TIMEOUT_MS / 1000} s`);
    await sleep(POLL_MS);
  }
}

/** How the ceiling queues job `index`; `dueAt` is the moment delayed jobs fall due (Date.now() scale). */
type AddCeilingJob = (queue: Queue, index: number, dueAt: number) => Promise<unknown>;

/** The median of some numbers (the middle one of an odd count); undefined when any is missing. */
function median(values: readonly (number | undefined)[]): number | undefined {
  if (values.some((value) => value === undefined)) return undefined;
  const sorted = (values as number[]).slice().sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Runs `jobs` jobs through a bare worker, with an empty processor unless given one, timed from
 * the moment they can run (queued, and due) until the last completed.
 */
async function bareWorkerOnce(
  backend: JobBackend,
  jobs: number,
  concurrency: number,
  delayMs: number,
  add: AddCeilingJob,
  processor: (job: Job) => Promise<void> = async () => {},
): Promise<{ seconds: number; cpuMs: number | undefined }> {
  const name = `bench-bare-${randomBytes(4).toString('hex')}`;
  const queue = backend.createQueue(name);
  const dueAt = Date.now() + delayMs;
  for (let i = 0; i < jobs; i++) await add(queue, i, dueAt);
  let completed = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const since = performance.now() + Math.max(0, dueAt - Date.now());
  const cpu = cpuMeter();
  const cpuTimer = setTimeout(() => cpu.start(), Math.max(0, dueAt - Date.now()));
  const worker = backend.createWorker(name, processor, { concurrency });
  worker.on('failed', (_job, error) => console.error('bench:jobs: a bare worker job failed:', error));
  worker.on('completed', () => {
    if (++completed === jobs) resolveDone();
  });
  const timeout = setTimeout(resolveDone, PHASE_TIMEOUT_MS + delayMs);
  await done;
  clearTimeout(timeout);
  clearTimeout(cpuTimer);
  const seconds = (performance.now() - since) / 1000;
  const cpuMs = cpu.elapsed();
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => undefined);
  if (completed < jobs) throw new Error(`bare worker: only ${completed} of ${jobs} jobs completed`);
  return { seconds, cpuMs };
}

/**
 * The ceiling, measured three times around ours (once before, which also warms BullMQ's code
 * up for ours, and twice after) and taken as the median, so one noisy run does not decide.
 */
function ceiling(
  backend: JobBackend,
  jobs: number,
  concurrency: number,
  delayMs: number,
  add: AddCeilingJob,
) {
  const runs: { seconds: number; cpuMs: number | undefined }[] = [];
  const once = async () => {
    runs.push(await bareWorkerOnce(backend, jobs, concurrency, delayMs, add));
  };
  return {
    before: once,
    async after(): Promise<Measurement> {
      await once();
      await once();
      return {
        items: jobs,
        jobs,
        seconds: median(runs.map((run) => run.seconds)) as number,
        cpuMs: median(runs.map((run) => run.cpuMs)),
      };
    },
  };
}

/** Marks messages sent, one UPDATE per statement's worth, two statements in flight (as the dispatcher). */
function sentRecords(run: Run) {
  return new StatementBatcher<string, void>(
    async (ids) => {
      await sql`update messages set delivery_status = 'sent', sent_at = now() where id = any(${ids}::uuid[])`.execute(
        run.db,
      );
      return ids.map(() => undefined);
    },
    { maxInFlight: 2 },
  );
}

/**
 * The durable floor of delivery: the least any deliverer that records each message before the
 * next goes out must commit — one UPDATE per message, each awaited, group-committed across jobs
 * as ours are — and nothing else: no lease, no channel, no order, no look for what is pending.
 * Ours does all of that on top, so it cannot beat this on the same machine: a floor under the
 * target says the target asks for more than committing the records leaves room for.
 */
async function deliveryFloor(run: Run, batches: Batch[], messages: number): Promise<Measurement> {
  const { db } = run;
  const ids = batches.flatMap((batch) => batch.messageIds);
  await db
    .updateTable('messages')
    .set({ delivery_status: 'pending', sent_at: null })
    .where('id', 'in', ids)
    .execute();
  const records = sentRecords(run);
  const measured = await bareWorkerOnce(
    run.jobs.backend,
    batches.length,
    run.deliveryConcurrency,
    0,
    (queue, i) =>
      queue.add('deliver', { messageIds: batches[i]?.messageIds }, deliveryJobOptions(`floor-${i}`)),
    async (job) => {
      for (const id of job.data.messageIds as string[]) await records.submit(id);
    },
  );
  const left = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('id', 'in', ids)
    .where('delivery_status', '<>', 'sent')
    .executeTakeFirstOrThrow();
  if (Number(left.n) > 0) throw new Error(`delivery floor: ${left.n} messages left unrecorded`);
  return { items: messages, jobs: batches.length, ...measured };
}

/**
 * The durable floor of a reminder: its follow-up finished, its conversation's row written and
 * its two messages stored, in one statement; then each message recorded as sent, one after the
 * other, as a deliverer must. Every step group-committed across jobs, and nothing else: no
 * engine, no lease, no channel. Ours cannot beat it on the same machine.
 */
async function followUpFloor(run: Run, followUpIds: string[], delayMs: number): Promise<Measurement> {
  const { db } = run;
  await db
    .updateTable('follow_ups')
    .set({ status: 'scheduled', finished_at: null, outcome: null })
    .where('id', 'in', followUpIds)
    .execute();
  const turns = new StatementBatcher<string, string[]>(
    async (batch) => {
      const { rows } = await sql<{ follow_up_id: string; message_ids: string[] }>`
        with done as (
          update follow_ups set status = 'done', finished_at = now(), outcome = 'sent'
          where id = any(${batch}::uuid[]) and status = 'scheduled'
          returning id, conversation_id
        ),
        turn as (
          update conversations c set state = c.state, updated_at = now(), last_message_at = now()
          from done where c.id = done.conversation_id
          returning c.id
        ),
        stored as (
          insert into messages (conversation_id, direction, sender, channel, text, choices, position,
            delivery_status)
          select turn.id, 'out', 'bot', 'telegram', 'floor', '[]'::jsonb, p.position, 'pending'
          from turn cross join generate_series(0, 1) as p(position)
          returning id, conversation_id, position
        )
        select done.id as follow_up_id, array_agg(stored.id order by stored.position) as message_ids
        from done join stored on stored.conversation_id = done.conversation_id
        group by done.id`.execute(db);
      const stored = new Map(rows.map((row) => [row.follow_up_id, row.message_ids]));
      return batch.map((id) => stored.get(id) ?? []);
    },
    { maxInFlight: 2 },
  );
  const records = sentRecords(run);
  const measured = await bareWorkerOnce(
    run.jobs.backend,
    followUpIds.length,
    run.followUpConcurrency,
    delayMs,
    (queue, i, due) =>
      queue.add(
        'intake_reminder',
        { followUpId: followUpIds[i] },
        followUpJobOptions(`floor-${i}`, due - Date.now()),
      ),
    async (job) => {
      const messageIds = await turns.submit(job.data.followUpId as string);
      if (messageIds.length !== 2) throw new Error('follow-up floor: the reminder was not stored');
      for (const id of messageIds) await records.submit(id);
    },
  );
  return { items: followUpIds.length, jobs: followUpIds.length, ...measured };
}

/** Walks every simulated beneficiary through TURNS; returns one batch per turn that left replies pending. */
async function seedConversations(bot: Bot, runId: string): Promise<Batch[]> {
  const batches: Batch[] = [];
  let next = 0;
  const worker = async () => {
    for (let user = next++; user < CONVERSATIONS; user = next++) {
      for (const [turn, text] of TURNS.entries()) {
        const result = await bot.inbox.receive({
          channel: 'telegram',
          externalUserId: `bench-${runId}-${user}`,
          externalMessageId: `${runId}-${user}-${turn}`,
          text,
          displayName: 'مستفيد تجريبي',
        });
        if (result.pendingDelivery)
          batches.push({
            conversationId: result.conversationId,
            batchKey: result.inboundId,
            messageIds: result.replies.map((reply) => reply.id),
          });
      }
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
  return batches;
}

/** Every sent message arrived once, and each conversation's in the order they were stored. */
async function checkDeliveries(db: DatabaseHandle['db'], channel: StandInChannel): Promise<string[]> {
  const problems: string[] = [];
  const rows = await db
    .selectFrom('messages')
    .select(['id', 'conversation_id', 'delivery_status'])
    .where('direction', '=', 'out')
    .orderBy('conversation_id')
    .orderBy('created_at')
    .orderBy('position')
    .execute();
  const stored = new Map<string, string[]>();
  for (const row of rows) {
    if (row.delivery_status !== 'sent') continue;
    const list = stored.get(row.conversation_id) ?? [];
    list.push(row.id);
    stored.set(row.conversation_id, list);
  }
  const sentCount = [...stored.values()].reduce((sum, list) => sum + list.length, 0);
  if (channel.sends !== sentCount)
    problems.push(`${channel.sends} sends for ${sentCount} messages marked sent (duplicates?)`);
  let outOfOrder = 0;
  for (const [conversationId, ids] of stored) {
    if ((channel.sentIds.get(conversationId) ?? []).join() !== ids.join()) outOfOrder++;
  }
  if (outOfOrder > 0) problems.push(`${outOfOrder} conversations delivered out of order`);
  return problems;
}

async function benchDeliveries(run: Run, batches: Batch[]): Promise<WorkloadResult> {
  const { db, jobs, channel } = run;
  const pendingCount = async () => {
    const row = await db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('direction', '=', 'out')
      .where('delivery_status', '=', 'pending')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  const messages = await pendingCount();
  const top = ceiling(jobs.backend, batches.length, run.deliveryConcurrency, 0, (queue, i) =>
    queue.add(
      'deliver',
      { conversationId: batches[i]?.conversationId, messageIds: batches[i]?.messageIds },
      deliveryJobOptions(batches[i]?.batchKey),
    ),
  );
  await top.before();

  for (const batch of batches)
    await jobs.outbound.deliverConversation(batch.conversationId, batch.batchKey, batch.messageIds);
  const statementsBefore = run.counter.count;
  const since = performance.now();
  const cpu = cpuMeter();
  cpu.start();
  const seconds = await profiled(`${run.kind}-deliveries`, async () => {
    jobs.outbound.start();
    // The channel's count first (no database load while sending), then the last rows' marks.
    await waitUntilNone(async () => messages - channel.sends, since, 'deliveries');
    return waitUntilNone(pendingCount, since, 'deliveries');
  });
  const cpuMs = cpu.elapsed();
  const processCpuMs = cpu.processElapsed();
  const statements = run.counter.count - statementsBefore;
  await jobs.outbound.stop();
  const problems = await checkDeliveries(db, channel);
  const floor = await deliveryFloor(run, batches, messages);

  return {
    workload: 'outbound deliveries',
    ours: { items: messages, jobs: batches.length, seconds, statements, cpuMs, processCpuMs },
    // The same jobs, counted in the messages they would have carried: the ratio is one of times.
    ceiling: { ...(await top.after()), items: messages },
    floor,
    problems,
  };
}

async function benchFollowUps(run: Run): Promise<WorkloadResult> {
  const { db, jobs } = run;
  const problems: string[] = [];
  // Each conversation sits at an intake question with its reminder a day away.
  const rows = await db
    .selectFrom('follow_ups')
    .selectAll()
    .where('kind', '=', 'intake_reminder')
    .where('status', '=', 'scheduled')
    .execute();
  const top = ceiling(
    jobs.backend,
    rows.length,
    run.followUpConcurrency,
    FOLLOW_UP_DELAY_MS,
    (queue, i, due) =>
      queue.add(
        'intake_reminder',
        { followUpId: rows[i]?.id },
        followUpJobOptions(`followup-${rows[i]?.id}-${due}`, due - Date.now()),
      ),
  );
  await top.before();

  // Brought close: due a moment after they are all queued, as the ceiling's were.
  const due = new Date(Date.now() + FOLLOW_UP_DELAY_MS);
  await db
    .updateTable('follow_ups')
    .set({ due_at: due })
    .where(
      'id',
      'in',
      rows.map((row) => row.id),
    )
    .execute();
  // And their last answers as long before as a reminder waits: a reminder counts from the last
  // answer (FollowUpPolicy.intakeDueAt), which otherwise puts every one back by a day.
  await db
    .updateTable('conversations')
    .set({ last_inbound_at: new Date(due.getTime() - run.reminderAfterMs) })
    .where(
      'id',
      'in',
      rows.map((row) => row.conversation_id as string),
    )
    .execute();
  await jobs.followUps.enqueue(rows.map((row) => ({ ...row, due_at: due })));
  // As in the app, the outbound worker runs too: a reminder counts once it has been sent.
  const sendsBefore = run.channel.sends;
  jobs.outbound.start();
  jobs.followUps.start(run.followUpConcurrency);
  const waitFor = due.getTime() - Date.now();
  if (waitFor <= 0) problems.push('queuing took longer than BENCH_FOLLOW_UP_DELAY_MS: raise it');
  // Timed from the moment the follow-ups fall due: a performance.now() reading of that moment.
  const since = performance.now() + Math.max(0, waitFor);
  const ids = rows.map((row) => row.id);
  const scheduledCount = async () => {
    const row = await db
      .selectFrom('follow_ups')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('id', 'in', ids)
      .where('status', '=', 'scheduled')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  await sleep(Math.max(0, waitFor));
  const cpu = cpuMeter();
  cpu.start();
  const statementsBefore = run.counter.count;
  // Each reminder is two messages (the notice and the question asked again).
  const unsent = async () => Math.max(0, sendsBefore + 2 * rows.length - run.channel.sends);
  const seconds = await profiled(`${run.kind}-follow-ups`, async () => {
    // The channel's count first (no database load while running: a reminder is sent only after
    // its turn committed), then the rows themselves.
    await waitUntilNone(unsent, since, 'follow-up messages');
    return waitUntilNone(scheduledCount, since, 'follow-ups');
  });
  const cpuMs = cpu.elapsed();
  const processCpuMs = cpu.processElapsed();
  const statements = run.counter.count - statementsBefore;
  await jobs.followUps.stop();
  await jobs.outbound.stop();
  const done = await db
    .selectFrom('follow_ups')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('id', 'in', ids)
    .where('status', '=', 'done')
    .executeTakeFirstOrThrow();
  if (Number(done.n) !== rows.length)
    problems.push(`${rows.length - Number(done.n)} reminders skipped instead of sent`);
  const floor = await followUpFloor(run, ids, FOLLOW_UP_DELAY_MS);

  return {
    workload: 'delayed follow-ups',
    ours: { items: rows.length, jobs: rows.length, seconds, statements, cpuMs, processCpuMs },
    ceiling: await top.after(),
    floor,
    problems,
  };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const stream = redis.scanStream({ match: `${prefix}:*`, count: 1000 });
    for await (const keys of stream as AsyncIterable<string[]>)
      if (keys.length > 0) await redis.unlink(...keys);
  } finally {
    redis.disconnect();
  }
}

/** Fresh places for one backend's run, and how to remove them. */
function places(kind: JobBackendKind) {
  const id = randomBytes(4).toString('hex');
  const appSchema = `bench_jobs_app_${id}`;
  const jobsSchema = `bench_jobs_bull_${id}`;
  const prefix = `bench-jobs-${id}`;
  const jobs: JobBackendOptions =
    kind === 'redis'
      ? { redisUrl: REDIS_URL, prefix }
      : kind === 'postgres'
        ? { databaseUrl: DATABASE_URL, schema: jobsSchema }
        : { embeddedDataDir: 'memory://' };
  return {
    jobs,
    // PGlite throughout for the embedded case: the app database too, as `npm start` would.
    openAppDatabase: () =>
      kind === 'pglite'
        ? openDatabase({ dataDir: 'memory://' })
        : openDatabase({ databaseUrl: DATABASE_URL, schema: appSchema }),
    async remove() {
      if (kind !== 'pglite') await adminQuery(`drop schema if exists ${appSchema} cascade`);
      if (kind === 'postgres') await adminQuery(`drop schema if exists ${jobsSchema} cascade`);
      if (kind === 'redis') await deleteRedisKeys(prefix);
    },
  };
}

async function benchBackend(kind: JobBackendKind, config: Config): Promise<WorkloadResult[]> {
  const logger = createLogger('silent');
  const place = places(kind);
  let database: DatabaseHandle | undefined;
  let bot: Bot | undefined;
  try {
    database = await place.openAppDatabase();
    const runId = randomBytes(3).toString('hex');
    // Seeding goes through a bot without queues, so nothing is queued or sent before the timing.
    const seeder = await createBot({ config, logger, database });
    const seedStarted = performance.now();
    const batches = await seedConversations(seeder, runId);
    await seeder.close();
    process.stderr.write(
      `bench:jobs: ${kind}: seeded ${CONVERSATIONS} conversations (${batches.length} batches) in ` +
        `${Math.round(performance.now() - seedStarted)} ms\n`,
    );

    const counter = new StatementCounter();
    bot = await createBot({
      config,
      logger,
      database: { ...database, db: database.db.withPlugin(counter) },
      jobs: place.jobs,
    });
    if (!bot.jobs) throw new Error('the bot has no queues');
    const run: Run = {
      kind,
      jobs: bot.jobs,
      db: database.db,
      counter,
      channel: new StandInChannel(),
      deliveryConcurrency: config.DELIVERY_CONCURRENCY,
      followUpConcurrency: config.FOLLOW_UP_CONCURRENCY,
      reminderAfterMs: config.INTAKE_REMINDER_AFTER,
    };
    run.jobs.outbound.register(run.channel);
    const deliveries = await benchDeliveries(run, batches);
    const followUps = await benchFollowUps(run);
    return [deliveries, followUps];
  } finally {
    await bot?.close().catch((error: unknown) => console.error('bench:jobs: closing the bot failed:', error));
    await database?.close().catch(() => undefined);
    await place
      .remove()
      .catch((error: unknown) => console.error(`bench:jobs: ${kind}: cleanup failed:`, error));
  }
}

const COLUMNS = [10, 21, 6, 7, 10, 8, 11, 7, 6, 9, 7, 13, 11];
const row = (cells: string[]) =>
  cells
    .map((cell, i) => (i < cells.length - 1 ? cell.padEnd(COLUMNS[i] ?? 10) : cell))
    .join('')
    .trimEnd();

/** Machine CPU per item, ours and the ceiling's, and the ceiling's as a share of ours. */
function cpuCells(result: WorkloadResult): string[] {
  const { ours, ceiling } = result;
  const here = ours.processCpuMs === undefined ? 'n/a' : (ours.processCpuMs / ours.items).toFixed(2);
  if (ours.cpuMs === undefined || ceiling.cpuMs === undefined) return ['n/a', 'n/a', here];
  const perItem = (m: Measurement) => (m.cpuMs as number) / m.items;
  return [
    `${perItem(ours).toFixed(2)} / ${perItem(ceiling).toFixed(2)}`,
    `${((perItem(ceiling) / perItem(ours)) * 100).toFixed(0)}%`,
    here,
  ];
}

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  process.stderr.write(
    `bench:jobs: ${CONVERSATIONS} conversations, delivery concurrency ${config.DELIVERY_CONCURRENCY}, ` +
      `follow-up concurrency ${config.FOLLOW_UP_CONCURRENCY}, follow-ups due in ${FOLLOW_UP_DELAY_MS} ms, ` +
      `stand-in send ${SEND_MS} ms; backends ${BACKENDS.join(', ')}\n`,
  );
  const lines = [
    row([
      'backend',
      'workload',
      'jobs',
      'items',
      'SQL/item',
      'ours/s',
      'ceiling/s',
      'ratio',
      '≥40%',
      'floor/s',
      'floor',
      'CPU ms/item',
      'CPU ratio',
      'here ms/item',
    ]),
  ];
  const warnings: string[] = [];
  for (const kind of BACKENDS) {
    let results: WorkloadResult[];
    try {
      results = await benchBackend(kind, config);
    } catch (error) {
      console.error(`bench:jobs: ${kind} failed:`, error);
      lines.push(row([kind, 'n/a', '', '', '', '', '', '', 'n/a', '', '']));
      warnings.push(`${kind}: the run failed (see above)`);
      continue;
    }
    for (const result of results) {
      const ours = result.ours.items / result.ours.seconds;
      const top = result.ceiling.items / result.ceiling.seconds;
      const ratio = ours / top;
      const met = ratio >= TARGET_SHARE;
      const floor = result.floor.items / result.floor.seconds;
      const floorRatio = floor / top;
      lines.push(
        row([
          kind,
          result.workload,
          String(result.ours.jobs),
          String(result.ours.items),
          ((result.ours.statements ?? 0) / result.ours.items).toFixed(1),
          ours.toFixed(0),
          top.toFixed(0),
          `${(ratio * 100).toFixed(0)}%`,
          met ? 'yes' : 'NO',
          floor.toFixed(0),
          `${(floorRatio * 100).toFixed(0)}%`,
          ...cpuCells(result),
        ]),
      );
      if (!met)
        warnings.push(
          `${kind} ${result.workload}: ${(ratio * 100).toFixed(0)}% of the bare worker, under the ${TARGET_SHARE * 100}% target` +
            ` (the durable floor: ${(floorRatio * 100).toFixed(0)}%; ours is ${((ratio / floorRatio) * 100).toFixed(0)}% of it)`,
        );
      for (const problem of result.problems) warnings.push(`${kind} ${result.workload}: ${problem}`);
    }
  }
  console.log(
    '\nbench:jobs — ours: the real queues, dispatcher and runner on a stand-in channel; ceiling: a bare ' +
      'BullMQ worker with an empty processor, same backend, jobs, delay and concurrency (per item, median of 3);\n' +
      'SQL/item: statements our code sent per message or follow-up while timed;\n' +
      'CPU ms/item: the whole machine (this process, PostgreSQL, Redis) busy per item while timed, ours / ceiling;\n' +
      'floor/s, floor: the durable floor — a bare worker whose processor only commits what the workload must record\n' +
      '  (each message marked sent; a reminder finished with its messages), group-committed — and its share of the ceiling;\n' +
      "CPU ratio: the ceiling's CPU per item as a share of ours (steadier than the ratio on a shared VM);\n" +
      'here ms/item: of our CPU per item, what this Node.js process spent (the bot, its database and queue clients)\n',
  );
  for (const line of lines) console.log(line);
  for (const warning of warnings) console.log(`warning: ${warning}`);
}

await main();
// BullMQ and pg may keep handles open a moment after closing; a benchmark is done when it has printed.
process.exit(0);
