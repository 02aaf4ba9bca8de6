import { type Expression, type QueryCreator, sql } from 'kysely';
import { REQUEST_STATUSES, type RequestStatus } from '../../domain/request-status.js';
import type { ChannelName } from '../../storage/schema.js';
import { type DateRange, REPORT_TIME_ZONE } from '../http/params.js';
import { maskPersonalNumbers } from '../masking.js';
import type { StaffDatabase, StaffDb } from '../storage/schema.js';

/** Scores counted as satisfied for CSAT. */
const SATISFIED_MIN = 4;
/** Scores listed for a supervisor's follow-up. */
export const LOW_SCORE_MAX = 2;
const LOW_SCORES_LIMIT = 100;

export interface ScoreSummary {
  count: number;
  /** Share of 4–5 among all ratings, 0–1 (4 decimals); null without ratings. */
  csat: number | null;
  /** Mean score (2 decimals); null without ratings. */
  average: number | null;
}

export interface SatisfactionReport extends ScoreSummary {
  distribution: Record<'1' | '2' | '3' | '4' | '5', number>;
  byWeek: Array<ScoreSummary & { week: string }>;
  byChannel: Array<ScoreSummary & { channel: ChannelName | 'unknown' }>;
  byStaff: Array<ScoreSummary & { staff: { id: string; name: string } }>;
  lowScores: LowScore[];
  requestsByStatus: Record<RequestStatus, number>;
  medianFirstResponseSeconds: number | null;
}

export interface LowScore {
  id: string;
  score: number;
  comment: string | null;
  at: string;
  channel: ChannelName | null;
  conversationId: string | null;
  reference: string | null;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Count, CSAT and average from SQL's integer sums (no floating point until here). */
export function summarise(count: number, satisfied: number, total: number): ScoreSummary {
  if (count === 0) return { count: 0, csat: null, average: null };
  return { count, csat: round(satisfied / count, 4), average: round(total / count, 2) };
}

/**
 * Every rating in range with the facts it is reported by: its channel (the rated conversation's,
 * or the conversation the rated request came from), the staff member it credits (the request's
 * handler for a request survey, else the conversation's assignee when it was closed) and the
 * request reference.
 */
function ratingsInRange(db: QueryCreator<StaffDatabase>, range: DateRange) {
  let query = db
    .selectFrom('ratings as rt')
    .leftJoin('conversations as c', 'c.id', 'rt.conversation_id')
    .leftJoin('support_requests as req', 'req.id', 'rt.request_id')
    .leftJoin('conversations as rc', 'rc.id', 'req.conversation_id')
    .select([
      'rt.id',
      'rt.score',
      'rt.comment',
      'rt.created_at',
      'rt.conversation_id',
      'req.reference',
      sql<ChannelName | null>`coalesce(c.channel, rc.channel)`.as('channel'),
      sql<string | null>`case when rt.request_id is not null then req.assigned_to else c.assigned_to end`.as(
        'staff_id',
      ),
    ]);
  if (range.from) query = query.where('rt.created_at', '>=', range.from);
  if (range.to) query = query.where('rt.created_at', '<', range.to);
  return query;
}

const satisfied = (score: Expression<number>) =>
  sql<string>`count(*) filter (where ${score} >= ${sql.lit(SATISFIED_MIN)})`;

/**
 * The satisfaction dashboard, aggregated in SQL: totals and distribution, ISO weeks (Riyadh
 * time), channels, staff, the low scores, requests by status and the median time to a first
 * staff answer. Independent queries run side by side on PostgreSQL's pool.
 */
export async function satisfactionReport(
  db: StaffDb,
  range: DateRange,
  options: { includeLowScores: boolean },
): Promise<SatisfactionReport> {
  const scored = db.with('rated', (qb) => ratingsInRange(qb, range));
  const score = sql.ref<number>('rated.score');
  const aggregates = [
    sql<string>`count(*)`.as('count'),
    satisfied(score).as('satisfied'),
    sql<string>`coalesce(sum(rated.score), 0)`.as('total'),
  ] as const;

  const [totals, weeks, channels, staff, low, statuses, median] = await Promise.all([
    scored
      .selectFrom('rated')
      .select([
        ...aggregates,
        ...([1, 2, 3, 4, 5] as const).map((n) =>
          sql<string>`count(*) filter (where rated.score = ${sql.lit(n)})`.as(`s${n}`),
        ),
      ])
      .executeTakeFirstOrThrow(),
    scored
      .selectFrom('rated')
      .select([
        sql<string>`to_char(rated.created_at at time zone ${sql.lit(REPORT_TIME_ZONE)}, 'IYYY-"W"IW')`.as(
          'week',
        ),
        ...aggregates,
      ])
      .groupBy('week')
      .orderBy('week')
      .execute(),
    scored
      .selectFrom('rated')
      .select([sql<string>`coalesce(rated.channel, 'unknown')`.as('channel'), ...aggregates])
      .groupBy(sql`coalesce(rated.channel, 'unknown')`)
      .orderBy('channel')
      .execute(),
    scored
      .selectFrom('rated')
      .innerJoin('staff_accounts as sa', (join) => join.on(sql<boolean>`sa.id::text = rated.staff_id`))
      .select(['sa.id', 'sa.name', ...aggregates])
      .groupBy(['sa.id', 'sa.name'])
      .orderBy('sa.name')
      .execute(),
    options.includeLowScores
      ? scored
          .selectFrom('rated')
          .selectAll()
          .where('rated.score', '<=', LOW_SCORE_MAX)
          .orderBy('rated.created_at', 'desc')
          .limit(LOW_SCORES_LIMIT)
          .execute()
      : Promise.resolve([]),
    requestsByStatus(db, range),
    medianFirstResponse(db, range),
  ]);

  const summary = (row: { count: string; satisfied: string; total: string }) =>
    summarise(Number(row.count), Number(row.satisfied), Number(row.total));
  return {
    ...summary(totals),
    distribution: {
      '1': Number(totals.s1),
      '2': Number(totals.s2),
      '3': Number(totals.s3),
      '4': Number(totals.s4),
      '5': Number(totals.s5),
    },
    byWeek: weeks.map((row) => ({ week: row.week, ...summary(row) })),
    byChannel: channels.map((row) => ({ channel: row.channel as ChannelName | 'unknown', ...summary(row) })),
    byStaff: staff.map((row) => ({ staff: { id: row.id, name: row.name }, ...summary(row) })),
    lowScores: low.map((row) => ({
      id: row.id,
      score: row.score,
      // Beneficiaries' words: personal numbers masked, as in their messages.
      comment: row.comment === null ? null : maskPersonalNumbers(row.comment),
      at: row.created_at.toISOString(),
      channel: row.channel,
      conversationId: row.conversation_id,
      reference: row.reference,
    })),
    requestsByStatus: statuses,
    medianFirstResponseSeconds: median,
  };
}

/** Requests created in the range, by their current status (every status present, 0 included). */
async function requestsByStatus(db: StaffDb, range: DateRange): Promise<Record<RequestStatus, number>> {
  let query = db
    .selectFrom('support_requests')
    .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
    .groupBy('status');
  if (range.from) query = query.where('created_at', '>=', range.from);
  if (range.to) query = query.where('created_at', '<', range.to);
  const rows = await query.execute();
  const counts = Object.fromEntries(REQUEST_STATUSES.map((status) => [status, 0])) as Record<
    RequestStatus,
    number
  >;
  for (const row of rows) counts[row.status] = Number(row.count);
  return counts;
}

/** Median seconds from an escalation to the first staff answer, over escalations opened in range. */
async function medianFirstResponse(db: StaffDb, range: DateRange): Promise<number | null> {
  let query = db
    .selectFrom('escalations')
    .select(
      sql<
        number | null
      >`percentile_cont(0.5) within group (order by extract(epoch from first_response_at - created_at))`.as(
        'median',
      ),
    )
    .where('first_response_at', 'is not', null);
  if (range.from) query = query.where('created_at', '>=', range.from);
  if (range.to) query = query.where('created_at', '<', range.to);
  const row = await query.executeTakeFirstOrThrow();
  return row.median === null ? null : round(Number(row.median), 1);
}

/** Rows for ratings.csv: every rating in range, newest first, with channel, reference and staff. */
export async function ratingsForExport(db: StaffDb, range: DateRange) {
  return db
    .with('rated', (qb) => ratingsInRange(qb, range))
    .selectFrom('rated')
    .leftJoin('staff_accounts as sa', (join) => join.on(sql<boolean>`sa.id::text = rated.staff_id`))
    .select([
      'rated.id',
      'rated.created_at',
      'rated.score',
      'rated.comment',
      'rated.channel',
      'rated.reference',
      'rated.conversation_id',
      'sa.name as staff_name',
    ])
    .orderBy('rated.created_at', 'desc')
    .execute();
}
