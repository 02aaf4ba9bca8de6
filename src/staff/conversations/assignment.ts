import { sql } from 'kysely';
import type { StaffSession } from '../auth/sessions.js';
import { notFound, StaffApiError } from '../errors.js';
import { type ConversationSummary, conversationSummary } from '../queries/conversation-view.js';
import { hasRole } from '../roles.js';
import type { StaffDb } from '../storage/schema.js';

/**
 * Takes a conversation for `staffId`: mode 'staff' (the bot falls silent), assigned to them, and
 * its open escalation too. One conditional UPDATE decides: it only matches while the conversation
 * is unassigned or already theirs, and PostgreSQL re-checks that condition after waiting for a
 * concurrent writer's row lock — so of two staff racing, exactly one wins and the other is told
 * who has it. (The inbox holds the same row lock for a whole turn, so a turn in progress never
 * writes its mode over a takeover.)
 */
export async function takeOver(
  db: StaffDb,
  conversationId: string,
  staffId: string,
): Promise<ConversationSummary> {
  const taken = await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('conversations')
      .set({ mode: 'staff', assigned_to: staffId, updated_at: sql<Date>`now()` })
      .where('id', '=', conversationId)
      .where('mode', '<>', 'closed')
      .where((eb) => eb.or([eb('assigned_to', 'is', null), eb('assigned_to', '=', staffId)]))
      .returning('id')
      .executeTakeFirst();
    if (updated) await assignOpenEscalation(trx, conversationId, staffId);
    return Boolean(updated);
  });
  const summary = await conversationSummary(db, conversationId);
  if (!summary) throw notFound('conversation');
  if (taken) return summary;
  if (summary.mode === 'closed') throw closedError();
  throw new StaffApiError(
    'already_assigned',
    `${summary.assignedTo?.name ?? 'another staff member'} has this conversation`,
    {
      assignedTo: summary.assignedTo,
    },
  );
}

/**
 * Hands a conversation to a colleague. Agents may only pass on their own conversations (the
 * condition is part of the UPDATE, so it holds even if it was just taken from them); supervisors
 * may move any open conversation.
 */
export async function transfer(
  db: StaffDb,
  conversationId: string,
  actor: StaffSession['staff'],
  targetId: string,
): Promise<ConversationSummary> {
  const target = await db
    .selectFrom('staff_accounts')
    .select(['id', 'disabled'])
    .where('id', '=', targetId)
    .executeTakeFirst();
  if (!target || target.disabled) throw notFound('staff member');
  const supervisor = hasRole(actor.role, 'supervisor');
  const moved = await db.transaction().execute(async (trx) => {
    let update = trx
      .updateTable('conversations')
      .set({ mode: 'staff', assigned_to: targetId, updated_at: sql<Date>`now()` })
      .where('id', '=', conversationId)
      .where('mode', '<>', 'closed');
    if (!supervisor) update = update.where('assigned_to', '=', actor.id);
    const updated = await update.returning('id').executeTakeFirst();
    if (updated) await assignOpenEscalation(trx, conversationId, targetId);
    return Boolean(updated);
  });
  const summary = await conversationSummary(db, conversationId);
  if (!summary) throw notFound('conversation');
  if (moved) return summary;
  if (summary.mode === 'closed') throw closedError();
  throw new StaffApiError(
    'forbidden',
    'only the assigned staff member or a supervisor can transfer this conversation',
  );
}

/**
 * Whether `actor` may reply to, hand back or close the conversation: its assignee, or any
 * supervisor. Replying and handing back also need the conversation to be with staff (waiting or
 * taken over): while the bot runs a flow, a staff message would cut across it. Throws the
 * matching refusal; returns the conversation.
 */
export async function assertMayAct(
  db: StaffDb,
  conversationId: string,
  actor: StaffSession['staff'],
  action: 'reply' | 'handback' | 'close',
): Promise<ConversationSummary> {
  const summary = await conversationSummary(db, conversationId);
  if (!summary) throw notFound('conversation');
  if (summary.mode === 'closed') throw closedError();
  if (!hasRole(actor.role, 'supervisor') && summary.assignedTo?.id !== actor.id) {
    throw new StaffApiError(
      'forbidden',
      summary.assignedTo
        ? `this conversation is assigned to ${summary.assignedTo.name}`
        : 'take this conversation over first',
    );
  }
  if (summary.mode === 'bot' && action !== 'close') {
    throw new StaffApiError('conflict', 'the bot is handling this conversation; take it over first');
  }
  return summary;
}

async function assignOpenEscalation(db: StaffDb, conversationId: string, staffId: string): Promise<void> {
  await db
    .updateTable('escalations')
    .set({ assigned_to: staffId })
    .where('conversation_id', '=', conversationId)
    .where('status', '=', 'open')
    .execute();
}

const closedError = () => new StaffApiError('conversation_closed', 'this conversation is closed');
