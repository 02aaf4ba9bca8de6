import { sql } from 'kysely';
import type { RequestStatus } from '../../domain/request-status.js';
import type { ConversationMode } from '../../engine/actions.js';
import type { ChannelName, MessageDirection, MessageSender } from '../../storage/schema.js';
import { maskPersonalNumbers } from '../masking.js';
import type { StaffDb } from '../storage/schema.js';

export const INBOX_VIEWS = ['waiting', 'mine', 'open'] as const;
export type InboxView = (typeof INBOX_VIEWS)[number];

export const INBOX_LIMIT = 200;
/** The inbox shows the start of the last message; the conversation view has all of it. */
const PREVIEW_LENGTH = 200;
/**
 * Read a little more than is shown: personal numbers are masked before the preview is cut, so a
 * number that crosses the 200th character is masked whole, never shown in part.
 */
const FETCH_LENGTH = PREVIEW_LENGTH + 64;

/** The preview of a message text: personal numbers masked, then cut to PREVIEW_LENGTH characters (and «…»). */
function preview(text: string): string {
  // At FETCH_LENGTH, the read may have cut a number in two: maskPersonalNumbers drops its start.
  const masked = [...maskPersonalNumbers(text, { truncated: [...text].length >= FETCH_LENGTH })];
  if (masked.length <= PREVIEW_LENGTH) return masked.join('');
  // Cut: an ellipsis says there is more in the conversation.
  return `${masked.slice(0, PREVIEW_LENGTH).join('').trimEnd()}…`;
}

export interface InboxItem {
  id: string;
  channel: ChannelName;
  mode: ConversationMode;
  assignedTo: { id: string; name: string } | null;
  contactName: string | null;
  /** When the beneficiary asked for staff (the open escalation), or null. */
  waitingSince: string | null;
  /**
   * When the open escalation passed HANDOFF_SLA with the beneficiary still waiting for staff
   * (counted in working hours), or null: the console flags it «تجاوز مدة الانتظار».
   */
  slaBreachedAt: string | null;
  /** The start of the last message, national IDs and mobiles masked. */
  lastMessage: { text: string; direction: MessageDirection; sender: MessageSender; at: string } | null;
  requests: Array<{ reference: string; status: RequestStatus }>;
}

/**
 * One inbox view in two steps inside one statement: first the page of conversation ids (an index
 * range scan: the partial indexes of migration 004 and `conversations_mode_recent`), then, for
 * those 200 rows only, the last message, the assignee's name and the contact's requests. In the
 * `waiting` view, conversations past HANDOFF_SLA come first, then the longest waiting.
 */
export async function listInbox(db: StaffDb, view: InboxView, staffId: string): Promise<InboxItem[]> {
  const rows = await db
    .with('page', (qb) => {
      const base = qb
        .selectFrom('conversations as c')
        .leftJoin('escalations as e', (join) =>
          join.onRef('e.conversation_id', '=', 'c.id').on('e.status', '=', 'open'),
        )
        .select(['c.id', 'e.created_at as waiting_since', 'e.sla_breached_at']);
      if (view === 'waiting') {
        return base
          .select(sql<Date>`coalesce(e.created_at, c.last_message_at)`.as('sort_at'))
          .select(sql<number>`case when e.sla_breached_at is null then 1 else 0 end`.as('overdue_last'))
          .where('c.mode', '=', 'waiting')
          .orderBy('overdue_last', 'asc')
          .orderBy('sort_at', 'asc')
          .limit(INBOX_LIMIT);
      }
      const open = base
        .select('c.last_message_at as sort_at')
        .select(sql<number>`0`.as('overdue_last'))
        .where('c.mode', '<>', 'closed')
        .orderBy('c.last_message_at', 'desc')
        .limit(INBOX_LIMIT);
      return view === 'mine' ? open.where('c.assigned_to', '=', staffId) : open;
    })
    .selectFrom('page')
    .innerJoin('conversations as c', 'c.id', 'page.id')
    .innerJoin('contacts as ct', 'ct.id', 'c.contact_id')
    .innerJoin('channel_identities as ci', 'ci.id', 'c.identity_id')
    .leftJoin('staff_accounts as sa', (join) => join.on(sql<boolean>`sa.id::text = c.assigned_to`))
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('messages as m')
          .select([
            sql<string>`left(m.text, ${sql.lit(FETCH_LENGTH)})`.as('text'),
            'm.direction',
            'm.sender',
            'm.created_at',
          ])
          .whereRef('m.conversation_id', '=', 'c.id')
          .orderBy('m.created_at', 'desc')
          .orderBy('m.position', 'desc')
          .limit(1)
          .as('lm'),
      (join) => join.onTrue(),
    )
    .select([
      'c.id',
      'c.channel',
      'c.mode',
      'c.assigned_to',
      'sa.name as assignee_name',
      // A web visitor has no profile name: the full name of their newest support request, then.
      sql<string | null>`coalesce(ct.display_name, ci.display_name, (
        select r.full_name from support_requests r where r.contact_id = c.contact_id and r.erased_at is null
        order by r.created_at desc limit 1))`.as('contact_name'),
      'page.waiting_since',
      'page.sla_breached_at',
      'lm.text as last_text',
      'lm.direction as last_direction',
      'lm.sender as last_sender',
      'lm.created_at as last_at',
      sql<Array<{ reference: string; status: RequestStatus }>>`coalesce((
        select jsonb_agg(jsonb_build_object('reference', r.reference, 'status', r.status) order by r.created_at desc)
        from support_requests r where r.contact_id = c.contact_id), '[]'::jsonb)`.as('requests'),
    ])
    .orderBy('page.overdue_last', 'asc')
    .orderBy('page.sort_at', view === 'waiting' ? 'asc' : 'desc')
    .execute();

  return rows.map((row) => ({
    id: row.id,
    channel: row.channel,
    mode: row.mode,
    assignedTo: row.assigned_to ? { id: row.assigned_to, name: row.assignee_name ?? '' } : null,
    contactName: row.contact_name,
    waitingSince: row.waiting_since ? row.waiting_since.toISOString() : null,
    slaBreachedAt: row.sla_breached_at ? row.sla_breached_at.toISOString() : null,
    lastMessage:
      row.last_at && row.last_direction && row.last_sender
        ? {
            text: preview(row.last_text ?? ''),
            direction: row.last_direction,
            sender: row.last_sender,
            at: row.last_at.toISOString(),
          }
        : null,
    requests: row.requests,
  }));
}
