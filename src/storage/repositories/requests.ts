import { type Kysely, sql } from 'kysely';
import { generateReference } from '../../domain/reference.js';
import type { RequestStatus, SupportType } from '../../domain/request-status.js';
import type { Database, FollowUp, FollowUpKind, SupportRequest } from '../schema.js';
import { followUpFromJson } from './follow-ups.js';

export interface NewSupportRequest {
  contactId: string;
  conversationId: string | null;
  fullName: string;
  nationalId: string;
  mobileE164: string;
  city: string;
  supportType: SupportType;
  familySize: number;
  monthlyIncome: number;
  description: string;
}

const MAX_REFERENCE_ATTEMPTS = 20;

/**
 * A request the statement saving a one-statement turn will create (saveTurnsAtVersion), with its
 * reference drawn in advance so the turn's reply can name it. That statement creates it only
 * together with the turn, and applies neither when the reference is taken: the turn then runs the
 * locking way, where createSupportRequestWithFollowUps draws another.
 */
export interface PlannedRequest {
  reference: string;
  request: NewSupportRequest;
  followUps: NewRequestFollowUp[];
}

export function planSupportRequest(
  request: NewSupportRequest,
  followUps: readonly NewRequestFollowUp[],
): PlannedRequest {
  return { reference: generateReference(), request, followUps: [...followUps] };
}

/** A follow-up a new request starts with; its request and contact are the new row's. */
export interface NewRequestFollowUp {
  kind: FollowUpKind;
  basis: Record<string, unknown>;
  dueAt: Date;
}

/** The columns of a new request's row (its reference and status aside), as both creators write them. */
export function newRequestColumns(request: NewSupportRequest) {
  return {
    contact_id: request.contactId,
    conversation_id: request.conversationId,
    full_name: request.fullName,
    national_id: request.nationalId,
    mobile_e164: request.mobileE164,
    city: request.city,
    support_type: request.supportType,
    family_size: request.familySize,
    monthly_income: request.monthlyIncome,
    description: request.description,
  };
}

/** A new request's follow-ups as its statement reads them (jsonb_to_recordset: kind, basis, due_at). */
export function newRequestFollowUpsJson(followUps: readonly NewRequestFollowUp[]) {
  return followUps.map((followUp) => ({
    kind: followUp.kind,
    basis: followUp.basis,
    due_at: followUp.dueAt,
  }));
}

/**
 * Creates a request under a fresh random reference, with its first status-history entry and the
 * follow-ups it starts with, in ONE statement (data-modifying CTEs on the inserted request):
 * confirming the intake is the inbox's slowest turn, and each round trip adds to it.
 * A reference collision (rare: 9·10⁶ possibilities) is retried with `on conflict do nothing`,
 * which, unlike catching a unique violation, leaves the surrounding transaction usable; then
 * nothing was inserted, so no history row or follow-up either. Returns the follow-up rows written
 * (one the unique indexes refuse is left out), for the queue once committed.
 */
export async function createSupportRequestWithFollowUps(
  db: Kysely<Database>,
  request: NewSupportRequest,
  followUps: readonly NewRequestFollowUp[],
): Promise<{ request: SupportRequest; followUps: FollowUp[] }> {
  const fresh = JSON.stringify(newRequestFollowUpsJson(followUps));
  for (let attempt = 0; attempt < MAX_REFERENCE_ATTEMPTS; attempt++) {
    const created = await db
      .with('created', (qb) =>
        qb
          .insertInto('support_requests')
          .values({
            reference: generateReference(),
            ...newRequestColumns(request),
            status: 'submitted',
          })
          .onConflict((conflict) => conflict.column('reference').doNothing())
          .returningAll(),
      )
      .with('first_history', (qb) =>
        qb
          .insertInto('request_status_history')
          .columns(['request_id', 'status', 'changed_by', 'note'])
          .expression((eb) =>
            eb
              .selectFrom('created')
              .select([
                'created.id',
                sql.lit('submitted').as('status'),
                sql.lit('beneficiary').as('changed_by'),
                sql.lit(null).as('note'),
              ]),
          ),
      )
      .with('first_follow_ups', (qb) =>
        qb
          .insertInto('follow_ups')
          .columns(['kind', 'contact_id', 'request_id', 'basis', 'due_at', 'status'])
          // Raw because Kysely has no builder for a table function with a column list.
          .expression(
            sql`select f.kind, created.contact_id, created.id, f.basis, f.due_at, 'scheduled'
              from created cross join jsonb_to_recordset(${fresh}::jsonb) as f(
                kind text, basis jsonb, due_at timestamptz)`,
          )
          .onConflict((conflict) => conflict.doNothing())
          .returningAll(),
      )
      .selectFrom('created')
      .selectAll('created')
      .select(
        sql<Array<
          Record<string, unknown>
        > | null>`(select json_agg(first_follow_ups) from first_follow_ups)`.as('first_follow_ups'),
      )
      .executeTakeFirst();
    if (created) {
      const { first_follow_ups: rows, ...row } = created;
      return { request: row as SupportRequest, followUps: (rows ?? []).map(followUpFromJson) };
    }
  }
  throw new Error('could not allocate a unique request reference');
}

/** Creates a request with its first status-history entry (see createSupportRequestWithFollowUps). */
export async function createSupportRequest(
  db: Kysely<Database>,
  request: NewSupportRequest,
): Promise<SupportRequest> {
  return (await createSupportRequestWithFollowUps(db, request, [])).request;
}

/** A contact's own requests, newest first. */
/** A contact's latest requests, newest first, with how many they have in all. */
export async function latestRequestsOfContact(
  db: Kysely<Database>,
  contactId: string,
  limit: number,
): Promise<{ requests: SupportRequest[]; total: number }> {
  const rows = await db
    .selectFrom('support_requests')
    .selectAll()
    // Counted in the same read: the list names the total even when it shows only the latest.
    .select(sql<number>`(count(*) over ())::int`.as('total'))
    .where('contact_id', '=', contactId)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return {
    requests: rows.map(({ total: _total, ...request }) => request),
    total: rows[0]?.total ?? 0,
  };
}

export async function requestsOfContact(
  db: Kysely<Database>,
  contactId: string,
  limit = 10,
): Promise<SupportRequest[]> {
  return (await latestRequestsOfContact(db, contactId, limit)).requests;
}

/** A request by reference, only if it belongs to the contact: others' requests are invisible. */
export async function findRequestOfContact(
  db: Kysely<Database>,
  contactId: string,
  reference: string,
): Promise<SupportRequest | undefined> {
  return db
    .selectFrom('support_requests')
    .selectAll()
    .where('contact_id', '=', contactId)
    .where('reference', '=', reference)
    .executeTakeFirst();
}

/** Moves a request to a new status and records who did it and why. */
export async function changeRequestStatus(
  db: Kysely<Database>,
  requestId: string,
  change: { status: RequestStatus; changedBy: string; note?: string | null; at?: Date },
): Promise<void> {
  const at = change.at ?? new Date();
  await db
    .updateTable('support_requests')
    .set({ status: change.status, updated_at: at })
    .where('id', '=', requestId)
    .execute();
  await db
    .insertInto('request_status_history')
    .values({
      request_id: requestId,
      status: change.status,
      changed_by: change.changedBy,
      note: change.note ?? null,
    })
    .execute();
}

export async function requestStatusHistory(db: Kysely<Database>, requestId: string) {
  return db
    .selectFrom('request_status_history')
    .select(['status', 'note', 'changed_by', 'changed_at'])
    .where('request_id', '=', requestId)
    .orderBy('changed_at')
    .execute();
}
