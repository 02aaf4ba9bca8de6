import type { FastifyInstance, FastifyReply } from 'fastify';
import { recordAudit } from '../audit.js';
import type { StaffContext } from '../context.js';
import { toCsv } from '../csv.js';
import { sessionOf } from '../http/guard.js';
import { dateRangeQuery } from '../http/params.js';
import { maskNationalId, maskPersonalNumbers } from '../masking.js';
import { ratingsForExport, satisfactionReport } from '../queries/reports.js';
import { requestsForExport } from '../queries/requests.js';
import { hasRole } from '../roles.js';
import { requestFiltersQuery } from './requests.js';

function sendCsv(reply: FastifyReply, name: string, csv: string): FastifyReply {
  const day = new Date().toISOString().slice(0, 10);
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}-${day}.csv"`)
    .send(csv);
}

/** The satisfaction dashboard (every role) and the CSV exports (supervisors). */
export function reportRoutes(app: FastifyInstance, ctx: StaffContext): void {
  const supervisor = { config: { staffAccess: 'supervisor' as const } };

  app.get('/reports/satisfaction', async (request) => {
    const range = dateRangeQuery.parse(request.query);
    const me = sessionOf(request).staff;
    // Low scores come with the beneficiary's own words: for supervisors' follow-up only.
    return satisfactionReport(ctx.db, range, { includeLowScores: hasRole(me.role, 'supervisor') });
  });

  app.get('/reports/ratings.csv', supervisor, async (request, reply) => {
    const range = dateRangeQuery.parse(request.query);
    const rows = await ratingsForExport(ctx.db, range);
    await recordAudit(ctx.db, {
      staffId: sessionOf(request).staff.id,
      action: 'report.export',
      target: { type: 'report', id: 'ratings' },
      details: { rows: rows.length },
      ip: request.ip,
    });
    const csv = toCsv(
      [
        'rating_id',
        'rated_at',
        'score',
        'comment',
        'channel',
        'request_reference',
        'staff',
        'conversation_id',
      ],
      rows.map((row) => [
        row.id,
        row.created_at,
        row.score,
        // An exported file travels further than the console: personal numbers stay masked.
        row.comment === null ? null : maskPersonalNumbers(row.comment),
        row.channel,
        row.reference,
        row.staff_name,
        row.conversation_id,
      ]),
    );
    return sendCsv(reply, 'ratings', csv);
  });

  /**
   * Requests for reporting: national IDs masked, and neither mobile numbers, income nor the
   * beneficiary's description — an exported file travels further than the console.
   */
  app.get('/reports/requests.csv', supervisor, async (request, reply) => {
    const filters = requestFiltersQuery.parse(request.query);
    const rows = await requestsForExport(ctx.db, filters);
    await recordAudit(ctx.db, {
      staffId: sessionOf(request).staff.id,
      action: 'report.export',
      target: { type: 'report', id: 'requests' },
      details: { rows: rows.length },
      ip: request.ip,
    });
    const csv = toCsv(
      [
        'reference',
        'created_at',
        'updated_at',
        'status',
        'full_name',
        'national_id_masked',
        'city',
        'support_type',
        'family_size',
        'staff',
      ],
      rows.map((row) => [
        row.reference,
        row.created_at,
        row.updated_at,
        row.status,
        row.full_name,
        maskNationalId(row.national_id),
        row.city,
        row.support_type,
        row.family_size,
        row.staff_name,
      ]),
    );
    return sendCsv(reply, 'requests', csv);
  });
}
