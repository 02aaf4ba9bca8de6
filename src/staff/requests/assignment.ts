import { sql } from 'kysely';
import { recordAudit } from '../audit.js';
import { notFound, StaffApiError } from '../errors.js';
import type { StaffDb } from '../storage/schema.js';

export interface RequestAssignment {
  /** The handler before (a staff id), or null. */
  from: string | null;
  /** The handler now, or null (unassigned). */
  to: string | null;
  /** False when the request already had that handler: nothing was written. */
  changed: boolean;
}

/**
 * Gives a support request a new handler (`targetId`), or none (`null`): a supervisor's move, for
 * a request held by someone absent or disabled. Nothing else changes — status, history, follow-ups
 * — and the beneficiary is not told. One transaction: the request's row is locked (as a status
 * change locks it, so the two never interleave), the target account is read `FOR SHARE` and must
 * be active (so an admin disabling it at that moment waits for this to commit, and a disabled
 * account never becomes a handler), and the audit row (`request.assign`, ids only) is written with
 * the change. Permission (supervisor) is the route's job.
 */
export async function assignRequest(
  db: StaffDb,
  requestId: string,
  targetId: string | null,
  actor: { staffId: string; ip?: string | undefined },
): Promise<RequestAssignment> {
  return db.transaction().execute(async (trx) => {
    const request = await trx
      .selectFrom('support_requests')
      .select(['id', 'assigned_to'])
      .where('id', '=', requestId)
      .forUpdate()
      .executeTakeFirst();
    if (!request) throw notFound('request');
    if (targetId !== null) {
      const target = await trx
        .selectFrom('staff_accounts')
        .select(['id', 'disabled'])
        .where('id', '=', targetId)
        .forShare()
        .executeTakeFirst();
      if (!target || target.disabled) {
        throw new StaffApiError('invalid_assignee', 'the new handler must be an active staff account', {
          staffId: targetId,
        });
      }
    }
    const from = request.assigned_to;
    if (from === targetId) return { from, to: targetId, changed: false };
    await trx
      .updateTable('support_requests')
      .set({ assigned_to: targetId, updated_at: sql<Date>`now()` })
      .where('id', '=', requestId)
      .execute();
    await recordAudit(trx, {
      staffId: actor.staffId,
      action: 'request.assign',
      target: { type: 'request', id: requestId },
      details: { from, to: targetId },
      ip: actor.ip,
    });
    return { from, to: targetId, changed: true };
  });
}
