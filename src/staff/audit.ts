import type { StaffDb } from './storage/schema.js';

/** Every action a staff member can take, as written to the audit log. */
export const AUDIT_ACTIONS = [
  'login',
  'login_failed',
  'login_throttled',
  'logout',
  'conversation.takeover',
  'conversation.reply',
  'conversation.transfer',
  'conversation.handback',
  'conversation.close',
  'request.status',
  'request.reveal',
  'request.assign',
  'canned_reply.create',
  'canned_reply.update',
  'canned_reply.delete',
  'account.create',
  'account.update',
  'report.export',
  'contact.export',
  'contact.erase',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditTargetType = 'conversation' | 'request' | 'canned_reply' | 'staff' | 'report' | 'contact';

/** Plain facts only: ids, statuses, roles, field names. Never a national ID, a phone or message text. */
export type AuditDetails = Record<string, string | number | boolean | null | string[]>;

export interface AuditEntry {
  staffId: string | null;
  action: AuditAction;
  target?: { type: AuditTargetType; id: string } | undefined;
  details?: AuditDetails;
  ip?: string | undefined;
}

/** Writes one audit row. Pass the transaction of the action itself where there is one. */
export async function recordAudit(db: StaffDb, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      staff_id: entry.staffId,
      action: entry.action,
      target_type: entry.target?.type ?? null,
      target_id: entry.target?.id ?? null,
      details: JSON.stringify(entry.details ?? {}),
      ip: entry.ip ?? null,
    })
    .execute();
}

export interface AuditListEntry {
  id: string;
  at: string;
  staff: { id: string; name: string } | null;
  action: string;
  /** `<type>:<id>`, e.g. `conversation:3f…`, or null. */
  target: string | null;
  details: Record<string, unknown>;
  ip: string | null;
}

/** The newest entries first; `before` pages back through older ones. */
export async function listAudit(
  db: StaffDb,
  options: {
    limit: number;
    before?: Date | undefined;
    staffId?: string | undefined;
    action?: string | undefined;
  },
): Promise<AuditListEntry[]> {
  let query = db
    .selectFrom('audit_log as l')
    .leftJoin('staff_accounts as a', 'a.id', 'l.staff_id')
    .select([
      'l.id',
      'l.created_at',
      'l.staff_id',
      'a.name',
      'l.action',
      'l.target_type',
      'l.target_id',
      'l.details',
      'l.ip',
    ])
    .orderBy('l.created_at', 'desc')
    .limit(options.limit);
  if (options.before) query = query.where('l.created_at', '<', options.before);
  if (options.staffId) query = query.where('l.staff_id', '=', options.staffId);
  if (options.action) query = query.where('l.action', '=', options.action);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    at: row.created_at.toISOString(),
    staff: row.staff_id ? { id: row.staff_id, name: row.name ?? '' } : null,
    action: row.action,
    target: row.target_type ? `${row.target_type}:${row.target_id ?? ''}` : null,
    details: row.details,
    ip: row.ip,
  }));
}
