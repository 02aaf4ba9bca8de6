/**
 * Staff console benchmark: `npm run --silent bench:staff`.
 *
 * Seeds a fresh PostgreSQL schema with 10,000 conversations and 50,000 messages (plus contacts,
 * escalations, requests and ratings in proportion) in a few bulk `generate_series` statements,
 * then times the console's heaviest reads through the real HTTP stack (`app.inject`, signed in
 * as a supervisor): each inbox view, the conversation view, the requests list and the
 * satisfaction report. Prints p50/p95 per route against the 200 ms p95 target, then drops the
 * schema.
 *
 * Environment:
 *   BENCH_DATABASE_URL / TEST_DATABASE_URL  PostgreSQL server (default postgres://postgres@127.0.0.1:5432/test)
 *   BENCH_CONVERSATIONS                     conversations to seed (default 10000; 5 messages each)
 *   BENCH_RUNS                              timed requests per route (default 50)
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { createBot } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { buildServer } from '../src/http/server.js';
import { createLogger } from '../src/logger.js';
import { hashPassword } from '../src/staff/auth/passwords.js';
import { staffDb } from '../src/staff/storage/schema.js';
import { openDatabase } from '../src/storage/database.js';
import { intEnv } from './support.js';

const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ||
  process.env.TEST_DATABASE_URL ||
  'postgres://postgres@127.0.0.1:5432/test';
const CONVERSATIONS = intEnv('BENCH_CONVERSATIONS', 10_000);
const MESSAGES_PER_CONVERSATION = 5;
const RUNS = intEnv('BENCH_RUNS', 50);
const WARMUP = 5;
const TARGET_P95_MS = 200;
const STAFF_COUNT = 10;
const PASSWORD = 'benchmark password';

type Db = ReturnType<typeof staffDb>;

/** Everything in bulk statements: the seed takes seconds, not minutes. */
async function seed(db: Db, staffIds: string[]): Promise<void> {
  const n = CONVERSATIONS;
  const staff = sql`${staffIds}::text[]`;
  const steps: Array<[string, ReturnType<typeof sql>]> = [
    [
      'contacts',
      sql`insert into contacts (id, display_name, created_at, updated_at)
          select md5('c' || g)::uuid, 'مستفيد ' || g, now() - g * interval '10 minutes', now()
          from generate_series(1, ${n}) g`,
    ],
    [
      'channel identities',
      sql`insert into channel_identities (id, contact_id, channel, external_id, display_name)
          select md5('i' || g)::uuid, md5('c' || g)::uuid, (array['web','telegram','whatsapp'])[1 + g % 3],
                 'bench-' || g, null
          from generate_series(1, ${n}) g`,
    ],
    [
      // 60% closed, 15% waiting, 15% with staff, 10% with the bot; activity spread over 90 days.
      'conversations',
      sql`insert into conversations (id, contact_id, identity_id, channel, mode, flow_id, node_id, state, locale,
                                     assigned_to, created_at, updated_at, last_message_at, closed_at)
          select md5('v' || g)::uuid, md5('c' || g)::uuid, md5('i' || g)::uuid, (array['web','telegram','whatsapp'])[1 + g % 3],
                 m.mode, 'main_menu', 'menu', '{}'::jsonb, 'ar',
                 case when m.mode = 'staff' or (m.mode = 'closed' and g % 4 = 0) then (${staff})[1 + g % ${STAFF_COUNT}] end,
                 t.at - interval '1 hour', t.at, t.at, case when m.mode = 'closed' then t.at end
          from generate_series(1, ${n}) g
          cross join lateral (select case when g % 20 < 12 then 'closed' when g % 20 < 15 then 'waiting'
                                          when g % 20 < 18 then 'staff' else 'bot' end as mode) m
          cross join lateral (select now() - (g * 7919 % 129600) * interval '1 minute' as at) t`,
    ],
    [
      'messages',
      sql`insert into messages (conversation_id, direction, sender, channel, text, choices, delivery_status, sent_at,
                                staff_id, created_at, position)
          select c.id, case when k % 2 = 1 then 'in' else 'out' end,
                 case when k % 2 = 1 then 'contact' when c.mode = 'staff' and k = 4 then 'staff' else 'bot' end,
                 c.channel, 'رسالة رقم ' || k || ' في محادثة تجريبية', '[]'::jsonb,
                 case when k % 2 = 0 then 'sent' end, case when k % 2 = 0 then c.last_message_at end,
                 case when c.mode = 'staff' and k = 4 then c.assigned_to end,
                 c.last_message_at - (${MESSAGES_PER_CONVERSATION} - k) * interval '1 minute', 0
          from conversations c cross join generate_series(1, ${MESSAGES_PER_CONVERSATION}) k`,
    ],
    [
      'escalations',
      sql`insert into escalations (conversation_id, contact_id, status, from_flow, from_node, assigned_to, created_at,
                                   first_response_at, closed_at)
          select c.id, c.contact_id, case when c.mode = 'closed' then 'resolved' else 'open' end, 'main_menu', 'menu',
                 c.assigned_to, c.created_at,
                 case when c.mode <> 'waiting' then c.created_at + (30 + hashtext(c.id::text) % 600) * interval '1 second' end,
                 c.closed_at
          from conversations c
          where c.mode in ('waiting', 'staff') or (c.mode = 'closed' and c.assigned_to is not null)`,
    ],
    [
      'support requests',
      sql`insert into support_requests (reference, contact_id, conversation_id, full_name, national_id, mobile_e164, city,
                                        support_type, family_size, monthly_income, description, status, assigned_to,
                                        created_at, updated_at)
          select (10000000 + g)::text, md5('c' || (g * 3))::uuid, md5('v' || (g * 3))::uuid, 'مستفيد ' || (g * 3),
                 '1' || lpad(g::text, 9, '0'), '+9665' || lpad(g::text, 8, '0'),
                 (array['الرياض','جدة','مكة','الدمام','المدينة'])[1 + g % 5],
                 (array['financial','food','housing','education','health','other'])[1 + g % 6],
                 1 + g % 8, (g % 50) * 100,
                 'وصف الطلب', (array['submitted','under_review','needs_info','approved','rejected','completed','cancelled'])[1 + g % 7],
                 case when g % 2 = 0 then (${staff})[1 + g % ${STAFF_COUNT}] end,
                 now() - g * interval '40 minutes', now() - g * interval '20 minutes'
          from generate_series(1, ${Math.floor(n * 0.3)}) g`,
    ],
    [
      'status history',
      sql`insert into request_status_history (request_id, status, note, changed_by, changed_at)
          select id, 'submitted', null, 'beneficiary', created_at from support_requests`,
    ],
    [
      'ratings',
      sql`insert into ratings (contact_id, conversation_id, request_id, score, comment, flagged, created_at)
          select c.contact_id, c.id, null, s.score, case when s.score <= 2 then 'تعليق على التقييم' end, s.score <= 2,
                 coalesce(c.closed_at, c.last_message_at) + interval '2 hours'
          from conversations c
          cross join lateral (select 1 + abs(hashtext(c.id::text)) % 5 as score) s
          where c.mode = 'closed' and abs(hashtext(c.id::text || 'r')) % 3 < 2`,
    ],
  ];
  for (const [name, statement] of steps) {
    const started = performance.now();
    await statement.execute(db);
    process.stderr.write(`  seeded ${name} in ${Math.round(performance.now() - started)} ms\n`);
  }
  await sql`analyze`.execute(db);
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

async function time(app: FastifyInstance, cookie: string, url: () => string) {
  const durations: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const started = performance.now();
    const response = await app.inject({ method: 'GET', url: url(), cookies: { staff_session: cookie } });
    const elapsed = performance.now() - started;
    if (response.statusCode !== 200)
      throw new Error(`${url()}: HTTP ${response.statusCode} ${response.body.slice(0, 200)}`);
    if (i >= WARMUP) durations.push(elapsed);
  }
  durations.sort((a, b) => a - b);
  return { p50: percentile(durations, 50), p95: percentile(durations, 95) };
}

async function main(): Promise<void> {
  const schema = `bench_staff_${randomBytes(4).toString('hex')}`;
  const logger = createLogger('warn');
  const handle = await openDatabase({ databaseUrl: DATABASE_URL, schema });
  const bot = await createBot({ config: loadConfig({ LOG_LEVEL: 'warn' }), logger, database: handle });
  let app: FastifyInstance | undefined;
  try {
    const db = staffDb(handle.db);
    process.stderr.write(
      `bench:staff: seeding ${CONVERSATIONS} conversations into ${handle.location} (schema ${schema})\n`,
    );
    const hash = await hashPassword(PASSWORD);
    const staff = await db
      .insertInto('staff_accounts')
      .values(
        Array.from({ length: STAFF_COUNT }, (_, i) => ({
          email: `staff${i}@bench.example`,
          name: `موظف ${i}`,
          role: i === 0 ? ('supervisor' as const) : ('agent' as const),
          password_hash: hash,
        })),
      )
      .returning('id')
      .execute();
    await seed(
      db,
      staff.map((row) => row.id),
    );
    const counts = await sql<{ conversations: string; messages: string; ratings: string; requests: string }>`
      select (select count(*) from conversations) as conversations, (select count(*) from messages) as messages,
             (select count(*) from ratings) as ratings, (select count(*) from support_requests) as requests`.execute(
      db,
    );
    const seeded = counts.rows[0];

    app = await buildServer({
      bot,
      logger,
      staff: { db: handle.db, logger, control: bot.control, cookieSecure: false },
    });
    const login = await app.inject({
      method: 'POST',
      url: '/api/staff/login',
      payload: { email: 'staff0@bench.example', password: PASSWORD },
    });
    const cookie = login.cookies.find((c) => c.name === 'staff_session')?.value;
    if (!cookie) throw new Error(`login failed: ${login.statusCode} ${login.body}`);

    const open = await db
      .selectFrom('conversations')
      .select('id')
      .where('mode', '<>', 'closed')
      .limit(500)
      .execute();
    let next = 0;
    const conversationUrl = () => `/api/staff/conversations/${open[next++ % open.length]?.id}`;
    const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
    const routes: Array<[string, () => string, boolean]> = [
      ['GET inbox ?view=waiting', () => '/api/staff/conversations?view=waiting', true],
      ['GET inbox ?view=mine', () => '/api/staff/conversations?view=mine', true],
      ['GET inbox ?view=open', () => '/api/staff/conversations?view=open', true],
      ['GET conversation view', conversationUrl, false],
      ['GET requests list', () => '/api/staff/requests', false],
      [
        'GET requests ?status=&city=',
        () => `/api/staff/requests?status=approved&city=${encodeURIComponent('جدة')}`,
        false,
      ],
      ['GET satisfaction (all time)', () => '/api/staff/reports/satisfaction', true],
      ['GET satisfaction (30 days)', () => `/api/staff/reports/satisfaction?from=${monthAgo}`, true],
    ];
    const results: Array<{ route: string; p50: number; p95: number; target: boolean }> = [];
    for (const [route, url, target] of routes)
      results.push({ route, ...(await time(app, cookie, url)), target });

    console.log(
      `\nbench:staff — ${seeded?.conversations} conversations, ${seeded?.messages} messages, ${seeded?.requests} requests, ` +
        `${seeded?.ratings} ratings; PostgreSQL, ${RUNS} runs per route after ${WARMUP} warm-up\n`,
    );
    console.log('| Route | p50 ms | p95 ms | Target (p95 < 200 ms) |');
    console.log('|---|---|---|---|');
    let missed = 0;
    for (const r of results) {
      const verdict = r.p95 < TARGET_P95_MS ? 'met' : 'NOT met';
      if (r.target && r.p95 >= TARGET_P95_MS) missed++;
      console.log(
        `| ${r.route} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.target ? verdict : `(${verdict})`} |`,
      );
    }
    if (missed > 0) process.exitCode = 1;
  } finally {
    await app?.close();
    await bot.close();
    await handle.close();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      await client.query(`drop schema if exists ${schema} cascade`);
    } finally {
      await client.end();
    }
  }
}

await main();
