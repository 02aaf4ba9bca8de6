import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_STATUSES, type RequestStatus } from '../../src/domain/request-status.js';
import type { ChannelName } from '../../src/storage/schema.js';
import { DIALECTS } from '../support/databases.js';
import { call, createStaff, createStaffTestApp, login, type Session, type StaffTestApp } from './support.js';

/** ISO week (Riyadh time, UTC+3 all year), computed independently of the SQL under test. */
function isoWeek(date: Date): string {
  const riyadh = new Date(date.getTime() + 3 * 3600_000);
  const day = new Date(Date.UTC(riyadh.getUTCFullYear(), riyadh.getUTCMonth(), riyadh.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** A small RFC 4180 reader, to check the export round-trips. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += char;
  }
  return rows;
}

interface SeededRating {
  score: number;
  comment: string | null;
  at: Date;
  channel: ChannelName;
  staffId: string | null;
  conversationId: string;
  reference: string | null;
}

const summary = (ratings: SeededRating[]) => {
  if (ratings.length === 0) return { count: 0, csat: null, average: null };
  const satisfied = ratings.filter((r) => r.score >= 4).length;
  const total = ratings.reduce((sum, r) => sum + r.score, 0);
  return {
    count: ratings.length,
    csat: Math.round((satisfied / ratings.length) * 10_000) / 10_000,
    average: Math.round((total / ratings.length) * 100) / 100,
  };
};

const groupBy = <K extends string>(ratings: SeededRating[], key: (r: SeededRating) => K) => {
  const groups = new Map<K, SeededRating[]>();
  for (const rating of ratings) groups.set(key(rating), [...(groups.get(key(rating)) ?? []), rating]);
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
};

for (const kind of DIALECTS) {
  describe(`staff reports (${kind})`, () => {
    let t: StaffTestApp;
    let agent: Session;
    let supervisor: Session;
    const ratings: SeededRating[] = [];
    const requestStatuses: Array<{ status: RequestStatus; at: Date }> = [];
    const responseSeconds: Array<{ seconds: number | null; at: Date }> = [];
    const names = new Map<string, string>();

    beforeAll(async () => {
      t = await createStaffTestApp(kind);
      const alice = await createStaff(t.db, 'agent', 'Alice');
      const bob = await createStaff(t.db, 'agent', 'Bob');
      names.set(alice.id, 'Alice').set(bob.id, 'Bob');
      agent = await login(t.app, alice);
      supervisor = await login(t.app, await createStaff(t.db, 'supervisor', 'Sam'));
      const db = t.bot.database.db;

      const conversation = async (channel: ChannelName, assignedTo: string | null, at: Date) => {
        const contact = await db
          .insertInto('contacts')
          .values({ display_name: null })
          .returning('id')
          .executeTakeFirstOrThrow();
        const identity = await db
          .insertInto('channel_identities')
          .values({ contact_id: contact.id, channel, external_id: randomUUID(), display_name: null })
          .returning('id')
          .executeTakeFirstOrThrow();
        const row = await db
          .insertInto('conversations')
          .values({
            contact_id: contact.id,
            identity_id: identity.id,
            channel,
            mode: 'closed',
            state: '{}',
            locale: 'ar',
            assigned_to: assignedTo,
            created_at: at,
            closed_at: at,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return { id: row.id, contactId: contact.id };
      };

      // Spread over three ISO weeks; 2025-03-09 22:30Z is already Monday (week 11) in Riyadh.
      const day = (iso: string) => new Date(iso);
      const seeds: Array<
        [ChannelName, string | null, 'conversation' | 'request', number, string | null, string]
      > = [
        ['web', alice.id, 'conversation', 5, 'ممتاز', '2025-03-03T09:00:00Z'],
        ['web', alice.id, 'conversation', 4, null, '2025-03-04T09:00:00Z'],
        [
          'telegram',
          bob.id,
          'conversation',
          2,
          '=HYPERLINK("http://evil.example","click")',
          '2025-03-05T09:00:00Z',
        ],
        ['whatsapp', null, 'conversation', 3, 'مقبول, لكن "بطيء"\nجدًا', '2025-03-06T09:00:00Z'],
        ['telegram', bob.id, 'request', 1, '@SUM(1)', '2025-03-09T22:30:00Z'],
        ['whatsapp', alice.id, 'request', 5, '+ شكرًا', '2025-03-11T09:00:00Z'],
        ['web', bob.id, 'conversation', 4, '-', '2025-03-12T09:00:00Z'],
        ['web', alice.id, 'request', 2, null, '2025-03-18T09:00:00Z'],
      ];
      for (const [channel, staffId, via, score, comment, at] of seeds) {
        // A request survey credits the request's handler; the conversation it came from is unassigned.
        const conv = await conversation(channel, via === 'conversation' ? staffId : null, day(at));
        let requestId: string | null = null;
        let reference: string | null = null;
        if (via === 'request') {
          reference = String(10_000_000 + ratings.length);
          const request = await db
            .insertInto('support_requests')
            .values({
              reference,
              contact_id: conv.contactId,
              conversation_id: conv.id,
              full_name: 'مستفيد',
              national_id: '1234567890',
              mobile_e164: '+966500000000',
              city: 'الرياض',
              support_type: 'food',
              family_size: 3,
              monthly_income: 1000,
              description: 'x',
              status: 'completed',
              assigned_to: staffId,
              created_at: day(at),
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          requestId = request.id;
          requestStatuses.push({ status: 'completed', at: day(at) });
        }
        await db
          .insertInto('ratings')
          .values({
            contact_id: conv.contactId,
            conversation_id: via === 'conversation' ? conv.id : null,
            request_id: requestId,
            score,
            comment,
            flagged: score <= 2,
            created_at: day(at),
          })
          .execute();
        ratings.push({ score, comment, at: day(at), channel, staffId, conversationId: conv.id, reference });
        // Escalations with known first-response times (one never answered).
        const seconds = [45, 120, 30, 600, null, 90, 300, 15][ratings.length - 1] ?? null;
        await db
          .insertInto('escalations')
          .values({
            conversation_id: conv.id,
            contact_id: conv.contactId,
            status: 'resolved',
            from_flow: 'main_menu',
            from_node: 'menu',
            created_at: day(at),
            first_response_at: seconds === null ? null : new Date(day(at).getTime() + seconds * 1000),
          })
          .execute();
        responseSeconds.push({ seconds, at: day(at) });
      }
      for (const [status, at] of [
        ['submitted', '2025-03-04T10:00:00Z'],
        ['under_review', '2025-03-05T10:00:00Z'],
        ['under_review', '2025-03-20T10:00:00Z'],
      ] as const) {
        const conv = await conversation('web', null, day(at));
        await db
          .insertInto('support_requests')
          .values({
            reference: String(20_000_000 + requestStatuses.length),
            contact_id: conv.contactId,
            conversation_id: conv.id,
            full_name: 'مستفيد',
            national_id: '1234567890',
            mobile_e164: '+966500000000',
            city: 'جدة',
            support_type: 'food',
            family_size: 3,
            monthly_income: 1000,
            description: 'x',
            status,
            created_at: day(at),
          })
          .execute();
        requestStatuses.push({ status, at: day(at) });
      }
    });
    afterAll(() => t.close());

    function expected(from?: Date, to?: Date, withLowScores = true) {
      const inRange = (at: Date) => (!from || at >= from) && (!to || at < to);
      const rated = ratings.filter((r) => inRange(r.at));
      const medianOf = (values: number[]) => {
        if (values.length === 0) return null;
        const sorted = [...values].sort((a, b) => a - b);
        const mid = Math.floor(sorted.length / 2);
        return sorted.length % 2
          ? (sorted[mid] as number)
          : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
      };
      const byStatus = Object.fromEntries(REQUEST_STATUSES.map((s) => [s, 0])) as Record<
        RequestStatus,
        number
      >;
      for (const request of requestStatuses.filter((r) => inRange(r.at))) byStatus[request.status] += 1;
      return {
        ...summary(rated),
        distribution: Object.fromEntries(
          [1, 2, 3, 4, 5].map((n) => [String(n), rated.filter((r) => r.score === n).length]),
        ),
        byWeek: groupBy(rated, (r) => isoWeek(r.at)).map(([week, group]) => ({ week, ...summary(group) })),
        byChannel: groupBy(rated, (r) => r.channel).map(([channel, group]) => ({
          channel,
          ...summary(group),
        })),
        byStaff: groupBy(
          rated.filter((r) => r.staffId),
          (r) => names.get(r.staffId as string) as string,
        ).map(([name, group]) => ({ staff: { id: group[0]?.staffId, name }, ...summary(group) })),
        lowScores: withLowScores
          ? rated
              .filter((r) => r.score <= 2)
              .sort((a, b) => b.at.getTime() - a.at.getTime())
              .map((r) => ({
                id: expect.any(String),
                score: r.score,
                comment: r.comment,
                at: r.at.toISOString(),
                channel: r.channel,
                conversationId: r.reference ? null : r.conversationId,
                reference: r.reference,
              }))
          : [],
        requestsByStatus: byStatus,
        medianFirstResponseSeconds: medianOf(
          responseSeconds.filter((r) => inRange(r.at) && r.seconds !== null).map((r) => r.seconds as number),
        ),
      };
    }

    it('computes CSAT, average, distribution, weeks, channels, staff, low scores, statuses and median response', async () => {
      const response = await call(t.app, supervisor, 'GET', '/api/staff/reports/satisfaction');
      expect(response.statusCode).toBe(200);
      const report = response.json();
      expect(report).toEqual(expected());
      // Spot-check the expectation itself, so a wrong helper cannot make both sides agree.
      expect(report.count).toBe(8);
      expect(report.csat).toBe(0.5);
      expect(report.average).toBe(3.25);
      expect(report.byWeek.map((w: { week: string }) => w.week)).toEqual([
        '2025-W10',
        '2025-W11',
        '2025-W12',
      ]);
      expect(report.medianFirstResponseSeconds).toBe(90);
    });

    it('narrows everything to a date range (Riyadh days, inclusive)', async () => {
      const response = await call(
        t.app,
        supervisor,
        'GET',
        '/api/staff/reports/satisfaction?from=2025-03-03&to=2025-03-09',
      );
      const from = new Date('2025-03-03T00:00:00+03:00');
      const to = new Date('2025-03-10T00:00:00+03:00');
      const report = response.json();
      expect(report).toEqual(expected(from, to));
      expect(report.count).toBe(4);
      expect(report.requestsByStatus).toMatchObject({ submitted: 1, under_review: 1, completed: 0 });
      const empty = await call(t.app, supervisor, 'GET', '/api/staff/reports/satisfaction?from=2030-01-01');
      expect(empty.json()).toMatchObject({
        count: 0,
        csat: null,
        average: null,
        byWeek: [],
        medianFirstResponseSeconds: null,
      });
      expect(
        (await call(t.app, supervisor, 'GET', '/api/staff/reports/satisfaction?from=yesterday')).statusCode,
      ).toBe(400);
    });

    it('gives agents the report without the low scores’ comments', async () => {
      const response = await call(t.app, agent, 'GET', '/api/staff/reports/satisfaction');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(expected(undefined, undefined, false));
    });

    it('exports ratings as CSV for Excel: BOM, CRLF, quoting, formulas neutralised; supervisors only', async () => {
      expect((await call(t.app, agent, 'GET', '/api/staff/reports/ratings.csv')).statusCode).toBe(403);
      const response = await call(t.app, supervisor, 'GET', '/api/staff/reports/ratings.csv');
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(response.headers['content-disposition']).toMatch(
        /^attachment; filename="ratings-\d{4}-\d{2}-\d{2}\.csv"$/,
      );
      const body = response.rawPayload.toString('utf8');
      expect(body.startsWith('\uFEFF"rating_id","rated_at","score"')).toBe(true);
      expect(body).toContain('"\'=HYPERLINK(""http://evil.example"",""click"")"');
      const rows = parseCsv(body.slice(1));
      expect(rows[0]).toEqual([
        'rating_id',
        'rated_at',
        'score',
        'comment',
        'channel',
        'request_reference',
        'staff',
        'conversation_id',
      ]);
      expect(rows).toHaveLength(ratings.length + 1);
      const comments = rows.slice(1).map((row) => row[3]);
      expect(comments).toEqual(
        expect.arrayContaining([
          '\'=HYPERLINK("http://evil.example","click")',
          'مقبول, لكن "بطيء"\nجدًا',
          "'@SUM(1)",
          "'+ شكرًا",
          "'-",
          'ممتاز',
          '',
        ]),
      );
      const newest = rows[1];
      expect(newest?.slice(1, 3)).toEqual([ratings.at(-1)?.at.toISOString(), '2']);
      expect(newest?.[6]).toBe('Alice');
      const audit = await t.db
        .selectFrom('audit_log')
        .select('details')
        .where('action', '=', 'report.export')
        .execute();
      expect(audit).toContainEqual({ details: { rows: ratings.length } });
    });

    it('exports requests as CSV with national IDs masked and no mobile numbers', async () => {
      expect((await call(t.app, agent, 'GET', '/api/staff/reports/requests.csv')).statusCode).toBe(403);
      const response = await call(
        t.app,
        supervisor,
        'GET',
        '/api/staff/reports/requests.csv?status=under_review',
      );
      expect(response.statusCode).toBe(200);
      const body = response.rawPayload.toString('utf8');
      expect(body).not.toContain('1234567890');
      expect(body).not.toContain('966500000000');
      const rows = parseCsv(body.slice(1));
      expect(rows[0]?.[5]).toBe('national_id_masked');
      expect(rows.slice(1).map((row) => [row[3], row[5]])).toEqual([
        ['under_review', '1*******90'],
        ['under_review', '1*******90'],
      ]);
    });

    it('masks national IDs and mobiles in rating comments, in the report and in the export', async () => {
      // Last of the file: a rating of its own, dated after every other one.
      const db = t.bot.database.db;
      const contact = await db
        .insertInto('contacts')
        .values({ display_name: null })
        .returning('id')
        .executeTakeFirstOrThrow();
      const comment = 'لم يتصل بي أحد، جوالي ٠٥٥١٢٣٤٥٦٧ وهويتي 1000000008، الطلب 12345674';
      await db
        .insertInto('ratings')
        .values({
          contact_id: contact.id,
          conversation_id: null,
          request_id: null,
          score: 1,
          comment,
          flagged: true,
          created_at: new Date('2030-01-05T09:00:00Z'),
        })
        .execute();
      const masked = 'لم يتصل بي أحد، جوالي +9665******67 وهويتي 1*******08، الطلب 12345674';

      const report = await call(t.app, supervisor, 'GET', '/api/staff/reports/satisfaction?from=2030-01-01');
      expect(report.json().lowScores.map((low: { comment: string }) => low.comment)).toEqual([masked]);

      const csv = await call(t.app, supervisor, 'GET', '/api/staff/reports/ratings.csv?from=2030-01-01');
      const body = csv.rawPayload.toString('utf8');
      expect(body).not.toContain('1000000008');
      expect(body).not.toContain('٠٥٥١٢٣٤٥٦٧');
      expect(parseCsv(body.slice(1))[1]?.[3]).toBe(masked);
    });
  });
}
