/**
 * Engine throughput benchmark: `npm run --silent bench:engine`.
 *
 * Drives simulated beneficiaries through the whole inbox (persist the inbound message, lock the
 * conversation, run the engine, store state and replies, in one transaction) on PGlite (in memory)
 * and on PostgreSQL (a fresh random schema, dropped at the end), next to `pgbench -N` on the same
 * server for scale, and the turn floor: pgbench running the least a turn writes on that schema, so
 * a run shows how much of the target PostgreSQL alone leaves for the bot. Prints one table on stdout.
 *
 * On PostgreSQL the timed messages go in BENCH_ROUNDS rounds, and after each round pgbench -N and
 * the turn floor run for their share of BENCH_PGBENCH_SECONDS: a small shared VM's speed drifts
 * within a minute (the same run gave 1,100 and 1,900 msg/s minutes apart), so all three are
 * measured across the same stretch of time rather than one after the other. After each pause the
 * bot gets a few hundred untimed messages first (see benchBackend).
 *
 * Environment:
 *   BENCH_MESSAGES         timed inbound messages per backend (default 6000)
 *   BENCH_USERS            simulated beneficiaries (default 50)
 *   BENCH_CONCURRENCY      users with a message in flight at once (default 8)
 *   BENCH_WARMUP           untimed messages before timing, per backend (default 3000: a bot runs
 *                          for days, so what counts is its JIT-compiled steady state, which the
 *                          first thousands of messages after start are not)
 *   BENCH_ROUNDS           rounds the timed phase is split into, on PostgreSQL (default 5)
 *   BENCH_DATABASE_URL     PostgreSQL server (default postgres://postgres@127.0.0.1:5432/test)
 *   BENCH_PGBENCH_SECONDS  pgbench -T duration, in all, of pgbench -N and of the turn floor each
 *                          (default 15; split across the rounds)
 *   BENCH_PGBENCH_SCALE    pgbench -i -s scale (default 10)
 *   BENCH_BACKENDS         comma list of pglite,postgres,pgbench (default all; with postgres and
 *                          pgbench, the turn floor runs too: see PgbenchRuns)
 *   DATABASE_PREPARED_STATEMENTS  false: PostgreSQL without prepared statements, as in the app
 *   BENCH_PROFILE          a folder: a CPU profile of each backend's timed phase is written there
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { type Bot, createBot } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { type DatabaseHandle, openDatabase } from '../src/storage/database.js';
import { cpuMeter, intEnv, profiled, StatementCounter } from './support.js';

const MESSAGES = intEnv('BENCH_MESSAGES', 6000);
const USERS = intEnv('BENCH_USERS', 50);
const CONCURRENCY = intEnv('BENCH_CONCURRENCY', 8);
const WARMUP = intEnv('BENCH_WARMUP', 3000, 0);
const ROUNDS = intEnv('BENCH_ROUNDS', 5);
/** Untimed messages after each pgbench pause, before the next round (see benchBackend). */
const REWARM = 300;
const PGBENCH_SECONDS = intEnv('BENCH_PGBENCH_SECONDS', 15);
const PGBENCH_SCALE = intEnv('BENCH_PGBENCH_SCALE', 10);
const DATABASE_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const BACKENDS = new Set(
  (process.env.BENCH_BACKENDS ?? 'pglite,postgres,pgbench').split(',').map((s) => s.trim()),
);

/** Target for PostgreSQL: at least this share of pgbench -N tps, and p99 under this many ms. */
const TARGET_TPS_SHARE = 0.5;
const TARGET_P99_MS = 50;

/**
 * One beneficiary's conversation: greeting, menu «٢» (support request), the eight intake
 * answers, confirmation, a FAQ question, a status look-up, and back to the menu so the script
 * can be cycled (every cycle submits one more request).
 */
const SCRIPT: readonly string[] = [
  'السلام عليكم',
  '٢',
  'محمد عبدالله القحطاني',
  '1000000008',
  '0551234567',
  'الرياض',
  '١',
  '٥',
  '3000',
  'نحتاج مساعدة في دفع الإيجار المتأخر',
  'نعم',
  'متى يردون على الطلب؟',
  'حالة طلبي',
  'القائمة',
];
const CONFIRM_INDEX = SCRIPT.indexOf('نعم');

interface SimUser {
  id: string;
  /** Indexes into SCRIPT, sent strictly in order. */
  steps: number[];
  next: number;
}

/** `total` messages spread as evenly as possible over `users` users, each cycling the script. */
function plan(prefix: string, users: number, total: number): SimUser[] {
  const result: SimUser[] = [];
  for (let i = 0; i < users; i++) {
    const count = Math.floor(total / users) + (i < total % users ? 1 : 0);
    if (count === 0) continue;
    result.push({
      id: `${prefix}-${i}`,
      steps: Array.from({ length: count }, (_, j) => j % SCRIPT.length),
      next: 0,
    });
  }
  return result;
}

interface RunStats {
  latencies: number[];
  /** Latencies by SCRIPT index: which step of the conversation the time goes to. */
  byStep: number[][];
  elapsedMs: number;
  replies: number;
  failures: number;
  /** Replies from the inbox's recovery path (the engine threw). */
  engineErrors: number;
  duplicates: number;
  submitted: number;
  expectedSubmitted: number;
}

function emptyStats(): RunStats {
  return {
    latencies: [],
    byStep: SCRIPT.map(() => []),
    elapsedMs: 0,
    replies: 0,
    failures: 0,
    engineErrors: 0,
    duplicates: 0,
    submitted: 0,
    expectedSubmitted: 0,
  };
}

/**
 * Sends `budget` messages of the plan (all by default) with `concurrency` users in flight: a
 * worker takes the user waiting longest, sends its next message, waits for the inbox, and puts the
 * user back at the end of the queue. A user is never in two workers at once, so each user's
 * messages are strictly sequential; the queue keeps every user's place, so a later call carries on
 * where this one stopped. Counts go into `stats`, its elapsed time included.
 */
async function drive(
  bot: Bot,
  queue: SimUser[],
  concurrency: number,
  runId: string,
  stats: RunStats,
  budget = Number.POSITIVE_INFINITY,
): Promise<void> {
  let left = budget;
  // Budget is spent only on a message sent: at the end of the plan the queue can be empty while
  // the last users are in flight, and a worker that finds it so stops without using any.
  const next = () => {
    if (left <= 0) return undefined;
    const user = queue.shift();
    if (user) left--;
    return user;
  };
  let firstError: unknown;
  let failures = 0;
  const worker = async () => {
    for (let user = next(); user; user = next()) {
      const step = user.steps[user.next] as number;
      const seq = user.next++;
      if (step === CONFIRM_INDEX) stats.expectedSubmitted++;
      const started = performance.now();
      try {
        const result = await bot.inbox.receive({
          channel: 'web',
          externalUserId: user.id,
          externalMessageId: `${runId}:${user.id}:${seq}`,
          text: SCRIPT[step] as string,
          displayName: 'مستفيد تجريبي',
        });
        stats.latencies.push(performance.now() - started);
        stats.byStep[step]?.push(performance.now() - started);
        stats.replies += result.replies.length;
        if (result.duplicate) stats.duplicates++;
        for (const reply of result.replies) {
          if (reply.flowId === 'main_menu' && reply.nodeId === 'error') stats.engineErrors++;
          if (reply.flowId === 'intake' && reply.nodeId === 'submitted') stats.submitted++;
        }
      } catch (error) {
        stats.latencies.push(performance.now() - started);
        failures++;
        firstError ??= error;
      }
      if (user.next < user.steps.length) queue.push(user);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  stats.elapsedMs += performance.now() - started;
  stats.failures += failures;
  if (firstError) console.error(`bench: ${failures} message(s) failed; first error:`, firstError);
}

interface BackendResult {
  backend: string;
  messages: number;
  msgPerSec: number;
  p50: number;
  p99: number;
  stats: RunStats;
  statementsPerMessage: number;
  /** Machine CPU (bot + database + everything else) per timed message, in ms. */
  cpuMsPerMessage: number | undefined;
  /** This Node.js process's share of cpuMsPerMessage (engine, Kysely, driver). */
  processCpuMsPerMessage: number;
  /** Messages per second in each round. */
  roundRates: number[];
}

/**
 * Mean latency of each step of the script and its share of all the time waited, e.g.
 * `«نعم» 18.3 ms 19%`: the steps that take longest are where a change pays most.
 */
function stepLine(name: string, stats: RunStats): string {
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  const total = sum(stats.byStep.map(sum));
  const steps = stats.byStep.map((values, step) => {
    const mean = values.length === 0 ? 0 : sum(values) / values.length;
    return `«${SCRIPT[step]}» ${mean.toFixed(1)} ms ${((100 * sum(values)) / Math.max(total, 1)).toFixed(0)}%`;
  });
  return `steps ${name} (mean latency, share of time): ${steps.join(', ')}`;
}

/** Nearest-rank percentile of ascending samples. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/**
 * Warms the bot up, then times MESSAGES messages. With `between` (PostgreSQL next to pgbench),
 * they go in ROUNDS rounds and `between` runs after each one, outside the timed phase: the rates,
 * latencies and CPU are those of the rounds alone.
 */
async function benchBackend(
  backend: string,
  handle: DatabaseHandle,
  between?: () => Promise<void>,
): Promise<BackendResult> {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const counter = new StatementCounter();
  const database: DatabaseHandle = { ...handle, db: handle.db.withPlugin(counter) };
  const bot = await createBot({ config, logger: createLogger('silent'), database });
  const runId = randomBytes(4).toString('hex');
  try {
    if (WARMUP > 0) {
      const warmUsers = Math.max(CONCURRENCY, Math.ceil(WARMUP / SCRIPT.length));
      await drive(bot, plan(`warm-${runId}`, warmUsers, WARMUP), CONCURRENCY, runId, emptyStats());
    }
    const queue = plan(`user-${runId}`, USERS, MESSAGES);
    const rewarm = between ? plan(`rewarm-${runId}`, CONCURRENCY * 2, REWARM * ROUNDS) : [];
    const stats = emptyStats();
    const rounds = between ? ROUNDS : 1;
    let statements = 0;
    let machineMs: number | undefined = 0;
    let processMs = 0;
    const roundRates: number[] = [];
    const cpu = cpuMeter();
    for (let round = 1; round <= rounds; round++) {
      const budget = Math.round((MESSAGES * round) / rounds) - Math.round((MESSAGES * (round - 1)) / rounds);
      const before = counter.count;
      const [elapsedBefore, failuresBefore] = [stats.elapsedMs, stats.failures];
      cpu.start();
      await profiled(rounds === 1 ? backend : `${backend}-${round}`, () =>
        drive(bot, queue, CONCURRENCY, runId, stats, budget),
      );
      const roundMachineMs = cpu.elapsed();
      processMs += cpu.processElapsed();
      machineMs =
        machineMs === undefined || roundMachineMs === undefined ? undefined : machineMs + roundMachineMs;
      roundRates.push(
        (budget - (stats.failures - failuresBefore)) / ((stats.elapsedMs - elapsedBefore) / 1000),
      );
      statements += counter.count - before;
      if (between) {
        await between();
        // Untimed: pgbench -N's working set (about 160 MB at scale 10) is larger than PostgreSQL's
        // default shared buffers (128 MB) and has pushed the bot's tables out. A bot in service
        // keeps them there, so the next round starts that way too.
        if (round < rounds) await drive(bot, rewarm, CONCURRENCY, runId, emptyStats(), REWARM);
      }
    }
    const sorted = [...stats.latencies].sort((a, b) => a - b);
    const messages = Math.max(1, stats.latencies.length);
    return {
      backend,
      messages: stats.latencies.length,
      msgPerSec: (stats.latencies.length - stats.failures) / (stats.elapsedMs / 1000),
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      stats,
      statementsPerMessage: statements / messages,
      cpuMsPerMessage: machineMs === undefined ? undefined : machineMs / messages,
      processCpuMsPerMessage: processMs / messages,
      roundRates,
    };
  } finally {
    await bot.close();
  }
}

async function benchPglite(): Promise<BackendResult> {
  const handle = await openDatabase({ dataDir: 'memory://' });
  try {
    return await benchBackend('pglite', handle);
  } finally {
    await handle.close();
  }
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function benchPostgres(pgbench: PgbenchRuns | undefined): Promise<BackendResult> {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  let handle: DatabaseHandle | undefined;
  try {
    handle = await openDatabase({
      databaseUrl: DATABASE_URL,
      schema,
      maxConnections: CONCURRENCY + 2,
      // As in the app: DATABASE_PREPARED_STATEMENTS=false compares without them.
      preparedStatements: process.env.DATABASE_PREPARED_STATEMENTS !== 'false',
    });
    // After each round, pgbench -N and the turn floor, the latter on the tables ours is filling:
    // what PostgreSQL alone makes of a turn.
    return await benchBackend('postgres', handle, pgbench && (() => pgbench.round(schema)));
  } finally {
    await handle?.close().catch(() => undefined);
    await adminQuery(DATABASE_URL, `drop schema if exists ${schema} cascade`).catch((error: unknown) =>
      console.error(`bench: could not drop schema ${schema}:`, error),
    );
  }
}

function findPgbench(): string | undefined {
  const isExecutable = (file: string) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'pgbench'))) return join(dir, 'pgbench');
  }
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const file = join('/usr/lib/postgresql', version, 'bin', 'pgbench');
      if (isExecutable(file)) return file;
    }
  } catch {
    // no Debian-style PostgreSQL install
  }
  return undefined;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        else resolve(`${stdout}\n${stderr}`);
      },
    );
  });
}

/** One timed pgbench run: its tps, the transactions it made and the machine's CPU meanwhile. */
interface PgbenchRun {
  tps: number;
  transactions: number;
  /** Machine CPU (pgbench's client and PostgreSQL together) during the run, in ms. */
  busyMs: number | undefined;
}

interface PgbenchResult {
  /** The mean of the runs' tps (they last equally long). */
  tps: number;
  /** Machine CPU per transaction, in ms. */
  cpuMsPerTransaction: number | undefined;
}

function combined(runs: readonly PgbenchRun[]): PgbenchResult | undefined {
  if (runs.length === 0) return undefined;
  const transactions = runs.reduce((sum, run) => sum + run.transactions, 0);
  const busy = runs.every((run) => run.busyMs !== undefined)
    ? runs.reduce((sum, run) => sum + (run.busyMs as number), 0)
    : undefined;
  return {
    tps: runs.reduce((sum, run) => sum + run.tps, 0) / runs.length,
    cpuMsPerTransaction: busy === undefined || transactions === 0 ? undefined : busy / transactions,
  };
}

/** How to reach DATABASE_URL's server with pgbench, and its password if any. */
function pgbenchConnection() {
  const url = new URL(DATABASE_URL);
  const args = [
    '-h',
    decodeURIComponent(url.hostname) || '127.0.0.1',
    '-p',
    url.port || '5432',
    '-U',
    decodeURIComponent(url.username || 'postgres'),
  ];
  const env = { ...process.env, ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}) };
  return { args, env, database: decodeURIComponent(url.pathname.slice(1)) || 'postgres' };
}

/**
 * One pgbench run with BENCH_CONCURRENCY clients for `seconds`. `workload` is pgbench's own
 * options (-N, or -f FILE).
 */
async function timedPgbench(
  pgbench: string,
  workload: string[],
  database: string,
  seconds: number,
  { args, env }: { args: string[]; env: NodeJS.ProcessEnv },
): Promise<PgbenchRun> {
  const cpu = cpuMeter();
  cpu.start();
  const output = await run(
    pgbench,
    [
      ...args,
      ...workload,
      '-c',
      String(CONCURRENCY),
      '-j',
      String(Math.min(2, CONCURRENCY)),
      '-T',
      String(seconds),
      database,
    ],
    env,
    (seconds + 120) * 1000,
  );
  const busyMs = cpu.elapsed();
  const tps = /^tps = ([\d.]+)/m.exec(output)?.[1];
  const transactions = /^number of transactions actually processed: (\d+)/m.exec(output)?.[1];
  if (!tps || !transactions) throw new Error(`no "tps = …" line in pgbench output:\n${output}`);
  return {
    tps: Number(tps),
    transactions: Number(transactions),
    busyMs,
  };
}

/**
 * The least one inbound turn must write, as one statement with no engine and no client work:
 * the conversation locked, the inbound message stored, the state saved, one reply stored (ours
 * average 1.2, and the intake's also move its follow-ups). Each pgbench client has a
 * conversation of its own, on the schema the bench just ran in (the app's tables and indexes,
 * with their rows).
 */
const TURN_FLOOR_SCRIPT = `with conv as (
  select c.id from conversations c
  where c.id = (select id from conversations order by id offset :client_id limit 1)
  for update
),
inbound as (
  insert into messages (conversation_id, direction, sender, channel, external_id, text, choices)
  select conv.id, 'in', 'contact', 'web', gen_random_uuid()::text, 'الرياض', '[]'::jsonb from conv
  returning id, conversation_id
),
saved as (
  update conversations c set state = c.state, node_id = c.node_id, updated_at = now(), last_message_at = now()
  from inbound where c.id = inbound.conversation_id
  returning c.id
)
insert into messages (conversation_id, direction, sender, channel, text, choices, flow_id, node_id,
  reply_to_id, position, delivery_status, sent_at)
select inbound.conversation_id, 'out', 'bot', 'web', 'ما نوع الدعم الذي تحتاجه؟', '["مساعدة مالية"]'::jsonb,
  'intake', 'support_type', inbound.id, 0, 'sent', now()
from saved join inbound on inbound.conversation_id = saved.id;
`;

/**
 * pgbench next to ours: `pgbench -N` (TPC-B-like without the branch/teller updates) on a database
 * of its own, and the turn floor (TURN_FLOOR_SCRIPT, clients as for pgbench -N) in the schema ours
 * runs in, either after each of ours' rounds (`round`) or, without ours, once for
 * BENCH_PGBENCH_SECONDS (`alone`). Undefined from `prepare` when pgbench cannot run.
 */
class PgbenchRuns {
  readonly standard: PgbenchRun[] = [];
  readonly turnFloor: PgbenchRun[] = [];
  private floorFailed = false;

  private constructor(
    private readonly pgbench: string,
    private readonly database: string,
    private readonly folder: string,
  ) {}

  static async prepare(): Promise<PgbenchRuns | undefined> {
    const pgbench = findPgbench();
    if (!pgbench) {
      console.error('bench: pgbench not found; skipping');
      return undefined;
    }
    const { args, env } = pgbenchConnection();
    const database = `bench_pgbench_${randomBytes(4).toString('hex')}`;
    const folder = await mkdtemp(join(tmpdir(), 'bench-pgbench-'));
    const runs = new PgbenchRuns(pgbench, database, folder);
    try {
      await writeFile(join(folder, 'turn.sql'), TURN_FLOOR_SCRIPT);
      await adminQuery(DATABASE_URL, `create database ${database}`);
      await run(pgbench, [...args, '-i', '-q', '-s', String(PGBENCH_SCALE), database], env, 300_000);
      return runs;
    } catch (error) {
      console.error('bench: pgbench failed:', error instanceof Error ? error.message : error);
      await runs.drop();
      return undefined;
    }
  }

  get seconds(): number {
    return Math.max(1, Math.round(PGBENCH_SECONDS / ROUNDS));
  }

  /** After one of ours' rounds: pgbench -N, then the turn floor in `schema`, each for its share. */
  async round(schema: string): Promise<void> {
    const connection = pgbenchConnection();
    this.standard.push(await timedPgbench(this.pgbench, ['-N'], this.database, this.seconds, connection));
    if (this.floorFailed) return;
    try {
      this.turnFloor.push(
        await timedPgbench(
          this.pgbench,
          ['-n', '-f', join(this.folder, 'turn.sql')],
          connection.database,
          this.seconds,
          {
            args: connection.args,
            env: { ...connection.env, PGOPTIONS: `-c search_path=${schema}` },
          },
        ),
      );
    } catch (error) {
      // A diagnostic: ours and pgbench -N still make the table without it.
      this.floorFailed = true;
      console.error('bench: the turn floor failed:', error instanceof Error ? error.message : error);
    }
  }

  /** pgbench -N alone, when ours did not run on PostgreSQL. */
  async alone(): Promise<void> {
    this.standard.push(
      await timedPgbench(this.pgbench, ['-N'], this.database, PGBENCH_SECONDS, pgbenchConnection()),
    );
  }

  async drop(): Promise<void> {
    await rm(this.folder, { recursive: true, force: true });
    await adminQuery(DATABASE_URL, `drop database if exists ${this.database} with (force)`)
      .catch(() => adminQuery(DATABASE_URL, `drop database if exists ${this.database}`))
      .catch((error: unknown) => console.error(`bench: could not drop database ${this.database}:`, error));
  }
}

const COLUMNS = [13, 10, 9, 8, 8];
const row = (cells: string[]) =>
  cells
    .map((cell, i) => (i < cells.length - 1 ? cell.padEnd(COLUMNS[i] ?? 10) : cell))
    .join('')
    .trimEnd();

async function attempt(name: string, fn: () => Promise<BackendResult>): Promise<BackendResult | undefined> {
  try {
    return await fn();
  } catch (error) {
    console.error(`bench: ${name} failed:`, error);
    return undefined;
  }
}

async function main(): Promise<number> {
  process.env.LOG_LEVEL = 'silent';
  console.error(
    `bench: ${MESSAGES} messages, ${USERS} users, concurrency ${CONCURRENCY}, warm-up ${WARMUP}, ` +
      `script of ${SCRIPT.length} messages per cycle`,
  );
  const results: Array<{ name: string; result: BackendResult | undefined }> = [];
  if (BACKENDS.has('pglite')) results.push({ name: 'pglite', result: await attempt('pglite', benchPglite) });
  const pgbench = BACKENDS.has('pgbench') ? await PgbenchRuns.prepare() : undefined;
  let pgbenchResult: PgbenchResult | undefined;
  let turnFloor: PgbenchResult | undefined;
  try {
    if (BACKENDS.has('postgres'))
      results.push({ name: 'postgres', result: await attempt('postgres', () => benchPostgres(pgbench)) });
    if (pgbench && pgbench.standard.length === 0) await pgbench.alone();
    pgbenchResult = combined(pgbench?.standard ?? []);
    turnFloor = combined(pgbench?.turnFloor ?? []);
  } catch (error) {
    console.error('bench: pgbench failed:', error instanceof Error ? error.message : error);
  } finally {
    await pgbench?.drop();
  }
  const tps = pgbenchResult?.tps;

  const lines = [row(['backend', 'messages', 'msg/s', 'p50 ms', 'p99 ms'])];
  for (const { name, result } of results) {
    lines.push(
      result
        ? row([
            name,
            String(result.messages),
            result.msgPerSec.toFixed(1),
            result.p50.toFixed(2),
            result.p99.toFixed(2),
          ])
        : row([name, 'n/a', 'n/a', 'n/a', 'n/a']),
    );
  }
  if (BACKENDS.has('pgbench'))
    lines.push(row(['pgbench -N', '—', tps === undefined ? 'n/a' : `${tps.toFixed(1)} tps`]));
  if (turnFloor)
    lines.push(
      row(['turn floor', '—', `${turnFloor.tps.toFixed(1)} tps`]) +
        (tps === undefined ? '' : `   ${((turnFloor.tps / tps) * 100).toFixed(1)}% of pgbench -N`),
    );

  const postgres = results.find((r) => r.name === 'postgres')?.result;
  if (postgres) {
    const p99Met = postgres.p99 < TARGET_P99_MS;
    const tpsMet = tps !== undefined && postgres.msgPerSec >= TARGET_TPS_SHARE * tps;
    const verdict = tps === undefined ? 'unknown (pgbench n/a)' : p99Met && tpsMet ? 'met' : 'not met';
    const share = tps === undefined ? '' : `; ${((postgres.msgPerSec / tps) * 100).toFixed(1)}% of pgbench`;
    lines.push(
      `target (postgres): ≥ ${TARGET_TPS_SHARE * 100}% of pgbench -N tps and p99 < ${TARGET_P99_MS} ms → ${verdict}` +
        ` (p99 ${p99Met ? 'ok' : 'too high'}${share})`,
    );
  } else if (BACKENDS.has('postgres')) {
    lines.push(
      `target (postgres): ≥ ${TARGET_TPS_SHARE * 100}% of pgbench -N tps and p99 < ${TARGET_P99_MS} ms → n/a`,
    );
  }
  const standardRuns = pgbench?.standard ?? [];
  if (postgres && postgres.roundRates.length > 1 && standardRuns.length === postgres.roundRates.length)
    lines.push(
      `rounds (postgres msg/s ÷ the pgbench -N run after it): ${postgres.roundRates
        .map((rate, i) => {
          const run = standardRuns[i] as PgbenchRun;
          return `${rate.toFixed(0)}/${run.tps.toFixed(0)} = ${((rate / run.tps) * 100).toFixed(1)}%`;
        })
        .join(', ')}`,
    );
  for (const { name, result } of results) {
    if (!result) continue;
    const s = result.stats;
    lines.push(
      `check ${name}: ${(s.replies / Math.max(1, result.messages)).toFixed(2)} replies/msg, ` +
        `${result.statementsPerMessage.toFixed(1)} SQL statements/msg (+ BEGIN/COMMIT), ` +
        (result.cpuMsPerMessage === undefined
          ? ''
          : `${result.cpuMsPerMessage.toFixed(2)} ms machine CPU/msg ` +
            `(${result.processCpuMsPerMessage.toFixed(2)} ms in this process), `) +
        `requests submitted ${s.submitted}/${s.expectedSubmitted}, engine errors ${s.engineErrors}, ` +
        `duplicates ${s.duplicates}, failures ${s.failures}`,
    );
  }
  for (const { name, result } of results) if (result) lines.push(stepLine(name, result.stats));
  if (pgbenchResult?.cpuMsPerTransaction !== undefined)
    lines.push(
      `check pgbench -N: ${pgbenchResult.cpuMsPerTransaction.toFixed(2)} ms machine CPU/transaction`,
    );
  if (turnFloor?.cpuMsPerTransaction !== undefined)
    lines.push(
      `check turn floor (the least a turn writes, one statement, pgbench's client, no engine): ` +
        `${turnFloor.cpuMsPerTransaction.toFixed(2)} ms machine CPU/turn`,
    );
  console.log(lines.join('\n'));
  const broken = results.some(
    ({ result }) => !result || result.stats.failures > 0 || result.stats.engineErrors > 0,
  );
  return broken ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
