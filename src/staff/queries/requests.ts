import { sql } from 'kysely';
import { allowedNextStatuses, type RequestStatus, type SupportType } from '../../domain/request-status.js';
import { toAsciiDigits } from '../../text/digits.js';
import { maskMobile, maskNationalId, maskPersonalNumbers } from '../masking.js';
import type { StaffDb } from '../storage/schema.js';
import type { StaffRef } from './conversation-view.js';

export interface RequestFilters {
  status?: RequestStatus | undefined;
  city?: string | undefined;
  supportType?: SupportType | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** A reference (in any digit script) or part of the name. */
  q?: string | undefined;
}

export interface RequestListItem {
  id: string;
  reference: string;
  fullName: string;
  nationalIdMasked: string;
  city: string;
  supportType: SupportType;
  status: RequestStatus;
  createdAt: string;
  updatedAt: string;
  assignedTo: StaffRef;
  /** When the applicant's personal data was erased (name, ID, mobile, city, income, need blanked). */
  erasedAt: string | null;
}

export interface RequestDetail extends RequestListItem {
  contactId: string;
  conversationId: string | null;
  mobileMasked: string;
  familySize: number;
  monthlyIncome: number;
  description: string;
  allowedNext: RequestStatus[];
}

export type HistoryAuthor = { id: string; name: string } | 'beneficiary' | 'system';

export interface RequestHistoryEntry {
  status: RequestStatus;
  note: string | null;
  changedBy: HistoryAuthor;
  at: string;
}

/** A change of handler (POST /requests/:id/assign), read back from the audit log. */
export interface RequestAssignmentEntry {
  from: { id: string; name: string } | null;
  to: { id: string; name: string } | null;
  by: { id: string; name: string } | null;
  at: string;
}

/** `%` and `_` typed in a search box are letters, not wildcards. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

function filtered(db: StaffDb, filters: RequestFilters) {
  let query = db.selectFrom('support_requests as r');
  if (filters.status) query = query.where('r.status', '=', filters.status);
  if (filters.city) query = query.where('r.city', '=', filters.city);
  if (filters.supportType) query = query.where('r.support_type', '=', filters.supportType);
  if (filters.from) query = query.where('r.created_at', '>=', filters.from);
  if (filters.to) query = query.where('r.created_at', '<', filters.to);
  const q = filters.q?.trim();
  if (q) {
    const digits = toAsciiDigits(q).replace(/[\s-]/g, '');
    query = /^\d+$/.test(digits)
      ? query.where('r.reference', 'like', `${digits}%`)
      : query.where('r.full_name', 'ilike', likePattern(q));
  }
  return query;
}

function listItem(row: {
  id: string;
  reference: string;
  full_name: string;
  national_id: string;
  city: string;
  support_type: SupportType;
  status: RequestStatus;
  created_at: Date;
  updated_at: Date;
  assigned_to: string | null;
  assignee_name: string | null;
  erased_at: Date | null;
}): RequestListItem {
  return {
    id: row.id,
    reference: row.reference,
    fullName: row.full_name,
    nationalIdMasked: maskNationalId(row.national_id),
    city: row.city,
    supportType: row.support_type,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    assignedTo: row.assigned_to ? { id: row.assigned_to, name: row.assignee_name ?? '' } : null,
    erasedAt: row.erased_at?.toISOString() ?? null,
  };
}

/** A page of requests, newest first, with the total that match (for paging). IDs masked. */
export async function listRequests(
  db: StaffDb,
  filters: RequestFilters,
  page: { limit: number; offset: number },
): Promise<{ total: number; requests: RequestListItem[] }> {
  const [count, rows] = await Promise.all([
    filtered(db, filters)
      .select((eb) => eb.fn.countAll<string>().as('total'))
      .executeTakeFirstOrThrow(),
    filtered(db, filters)
      .leftJoin('staff_accounts as sa', (join) => join.on(sql<boolean>`sa.id::text = r.assigned_to`))
      .select([
        'r.id',
        'r.reference',
        'r.full_name',
        'r.national_id',
        'r.city',
        'r.support_type',
        'r.status',
        'r.created_at',
        'r.updated_at',
        'r.assigned_to',
        'sa.name as assignee_name',
        'r.erased_at',
      ])
      .orderBy('r.created_at', 'desc')
      .orderBy('r.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
  ]);
  return { total: Number(count.total), requests: rows.map(listItem) };
}

/** One request with every field (personal numbers masked) and its status history, oldest first. */
export async function requestDetail(
  db: StaffDb,
  id: string,
): Promise<
  | { request: RequestDetail; history: RequestHistoryEntry[]; assignments: RequestAssignmentEntry[] }
  | undefined
> {
  const row = await db
    .selectFrom('support_requests as r')
    .leftJoin('staff_accounts as sa', (join) => join.on(sql<boolean>`sa.id::text = r.assigned_to`))
    .selectAll('r')
    .select('sa.name as assignee_name')
    .where('r.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const history = await db
    .selectFrom('request_status_history as h')
    .leftJoin('staff_accounts as sa', (join) => join.on(sql<boolean>`sa.id::text = h.changed_by`))
    .select(['h.status', 'h.note', 'h.changed_by', 'h.changed_at', 'sa.name'])
    .where('h.request_id', '=', id)
    .orderBy('h.changed_at')
    .execute();
  return {
    assignments: await assignmentsOf(db, id),
    request: {
      ...listItem(row),
      contactId: row.contact_id,
      conversationId: row.conversation_id,
      mobileMasked: maskMobile(row.mobile_e164),
      familySize: row.family_size,
      monthlyIncome: Number(row.monthly_income),
      // Typed by the beneficiary: an ID or mobile in it is masked like in their messages.
      description: maskPersonalNumbers(row.description),
      allowedNext: [...allowedNextStatuses(row.status)],
    },
    history: history.map((entry) => ({
      status: entry.status,
      // Typed by staff, who may have copied a number into it: masked as staff read it, stored as typed.
      note: entry.note === null ? null : maskPersonalNumbers(entry.note),
      changedBy:
        entry.changed_by === 'beneficiary' || entry.changed_by === 'system'
          ? entry.changed_by
          : { id: entry.changed_by, name: entry.name ?? '' },
      at: entry.changed_at.toISOString(),
    })),
  };
}

/**
 * A request's changes of handler, oldest first. The audit log already holds each one with who
 * made it (written in the same transaction as the change), so the request's page shows them from
 * there rather than from a second record that could disagree.
 */
async function assignmentsOf(db: StaffDb, requestId: string): Promise<RequestAssignmentEntry[]> {
  const rows = await db
    .selectFrom('audit_log as a')
    .leftJoin('staff_accounts as by_sa', (join) => join.on(sql<boolean>`by_sa.id::text = a.staff_id::text`))
    .leftJoin('staff_accounts as from_sa', (join) =>
      join.on(sql<boolean>`from_sa.id::text = a.details->>'from'`),
    )
    .leftJoin('staff_accounts as to_sa', (join) => join.on(sql<boolean>`to_sa.id::text = a.details->>'to'`))
    .select([
      'a.staff_id',
      sql<string | null>`a.details->>'from'`.as('from_id'),
      sql<string | null>`a.details->>'to'`.as('to_id'),
      'by_sa.name as by_name',
      'from_sa.name as from_name',
      'to_sa.name as to_name',
      'a.created_at',
    ])
    .where('a.action', '=', 'request.assign')
    .where('a.target_type', '=', 'request')
    .where('a.target_id', '=', requestId)
    .orderBy('a.created_at')
    .execute();
  const person = (id: string | null, name: string | null) => (id ? { id, name: name ?? '' } : null);
  return rows.map((row) => ({
    from: person(row.from_id, row.from_name),
    to: person(row.to_id, row.to_name),
    by: person(row.staff_id, row.by_name),
    at: row.created_at.toISOString(),
  }));
}

/** The unmasked value behind a reveal, with who handles the request (for the permission check). */
export async function requestPersonalField(
  db: StaffDb,
  id: string,
  field: 'national_id' | 'mobile',
): Promise<{ value: string; assignedTo: string | null; erased: boolean } | undefined> {
  const row = await db
    .selectFrom('support_requests')
    .select(['national_id', 'mobile_e164', 'assigned_to', 'erased_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    value: field === 'national_id' ? row.national_id : row.mobile_e164,
    assignedTo: row.assigned_to,
    erased: row.erased_at !== null,
  };
}

/** Every request matching the filters, newest first, for requests.csv (masked by the caller). */
export async function requestsForExport(db: StaffDb, filters: RequestFilters) {
  return filtered(db, filters)
    .leftJoin('staff_accounts as sa', (join) => join.on(sql<boolean>`sa.id::text = r.assigned_to`))
    .select([
      'r.reference',
      'r.created_at',
      'r.updated_at',
      'r.status',
      'r.full_name',
      'r.national_id',
      'r.city',
      'r.support_type',
      'r.family_size',
      'sa.name as staff_name',
    ])
    .orderBy('r.created_at', 'desc')
    .execute();
}
