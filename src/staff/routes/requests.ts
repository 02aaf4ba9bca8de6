import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { canChangeStatus, REQUEST_STATUSES, SUPPORT_TYPES } from '../../domain/request-status.js';
import { recordAudit } from '../audit.js';
import type { StaffContext } from '../context.js';
import { forbidden, handledByColleague, notFound, StaffApiError } from '../errors.js';
import { sessionOf } from '../http/guard.js';
import { fromBound, optional, toBound } from '../http/params.js';
import { listRequests, requestDetail, requestPersonalField } from '../queries/requests.js';
import { assignRequest } from '../requests/assignment.js';
import { hasRole } from '../roles.js';
import { idParams } from '../validation.js';

export const requestFiltersQuery = z.object({
  status: optional(z.enum(REQUEST_STATUSES)),
  city: optional(z.string().trim().max(60)),
  supportType: optional(z.enum(SUPPORT_TYPES)),
  from: optional(fromBound),
  to: optional(toBound),
  q: optional(z.string().max(100)),
});

const listQuery = requestFiltersQuery.extend({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

const assignBody = z.object({ staffId: z.guid('expected a staff id, or null to unassign').nullable() });
const revealBody = z.object({ field: z.enum(['national_id', 'mobile']) });
const statusBody = z.object({
  status: z.enum(REQUEST_STATUSES),
  note: z
    .string()
    .trim()
    .max(1000, 'a note has at most 1000 characters')
    .nullish()
    .transform((note) => (note ? note : null)),
});

/** Support requests: list, detail, the audited reveal, status changes, reassignment. */
export function requestRoutes(app: FastifyInstance, ctx: StaffContext): void {
  const supervisorsOnly = { config: { staffAccess: 'supervisor' as const } };

  app.get('/requests', async (request) => {
    const { limit, offset, ...filters } = listQuery.parse(request.query);
    return listRequests(ctx.db, filters, { limit, offset });
  });

  app.get('/requests/:id', async (request) => {
    const { id } = idParams.parse(request.params);
    const detail = await requestDetail(ctx.db, id);
    if (!detail) throw notFound('request');
    return detail;
  });

  /**
   * The full national ID or mobile number, for the staff member handling the request (or a
   * supervisor) who needs it — say, to call back. Every reveal is audited; the value is not.
   */
  app.post('/requests/:id/reveal', async (request) => {
    const me = sessionOf(request).staff;
    const { id } = idParams.parse(request.params);
    const { field } = revealBody.parse(request.body);
    const found = await requestPersonalField(ctx.db, id, field);
    if (!found) throw notFound('request');
    if (found.erased) throw new StaffApiError('erased', "the applicant's personal data was erased");
    if (found.assignedTo !== me.id && !hasRole(me.role, 'supervisor')) {
      throw forbidden('only the staff member handling this request or a supervisor can see this');
    }
    await recordAudit(ctx.db, {
      staffId: me.id,
      action: 'request.reveal',
      target: { type: 'request', id },
      details: { field },
      ip: request.ip,
    });
    return { value: found.value };
  });

  /**
   * A status change. Agents: on an unassigned request (it becomes theirs) or one they handle;
   * supervisors: on any, which keeps its handler.
   */
  app.post('/requests/:id/status', async (request) => {
    const me = sessionOf(request).staff;
    const { id } = idParams.parse(request.params);
    const { status, note } = statusBody.parse(request.body);
    const before = await requestDetail(ctx.db, id);
    if (!before) throw notFound('request');
    // Checked here for a clear answer; the control checks both again inside its transaction. An
    // agent may not act on a colleague's request: that would make it theirs, and its numbers
    // theirs to reveal.
    const supervisor = hasRole(me.role, 'supervisor');
    const handler = before.request.assignedTo;
    if (handler && handler.id !== me.id && !supervisor) throw handledByColleague(handler);
    if (!canChangeStatus(before.request.status, status)) {
      throw new StaffApiError(
        'invalid_transition',
        `a ${before.request.status} request cannot become ${status}`,
        {
          allowedNext: before.request.allowedNext,
        },
      );
    }
    await ctx.control.changeRequestStatus(id, status, note, me.id, { anyHandler: supervisor });
    // The note may name the beneficiary's circumstances: it stays in the request's history only.
    await recordAudit(ctx.db, {
      staffId: me.id,
      action: 'request.status',
      target: { type: 'request', id },
      details: { from: before.request.status, to: status },
      ip: request.ip,
    });
    const after = await requestDetail(ctx.db, id);
    if (!after) throw notFound('request');
    return after;
  });

  /**
   * A new handler for the request (an active staff account), or none (`staffId: null`):
   * supervisors and admins, for a request held by someone absent or disabled. Status, history and
   * follow-ups stay as they are, and the beneficiary is not told. Audited (`request.assign`).
   */
  app.post('/requests/:id/assign', supervisorsOnly, async (request) => {
    const me = sessionOf(request).staff;
    const { id } = idParams.parse(request.params);
    const { staffId } = assignBody.parse(request.body);
    await assignRequest(ctx.db, id, staffId, { staffId: me.id, ip: request.ip });
    const after = await requestDetail(ctx.db, id);
    if (!after) throw notFound('request');
    return after;
  });
}
