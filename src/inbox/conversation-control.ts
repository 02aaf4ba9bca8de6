import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { canChangeStatus, type RequestStatus } from '../domain/request-status.js';
import { MAIN_MENU } from '../engine/runtime.js';
import type { FollowUpPolicy } from '../jobs/follow-up-policy.js';
import type { Logger } from '../logger.js';
import { lockConversationById } from '../storage/repositories/conversations.js';
import { closeOpenEscalation } from '../storage/repositories/escalations.js';
import { cancelFollowUps } from '../storage/repositories/follow-ups.js';
import { outboundRow } from '../storage/repositories/messages.js';
import type { Database, DeliveryStatus, FollowUp, SupportRequest } from '../storage/schema.js';
import { applyEvent, type EventDependencies } from './conversation-events.js';

export class ConversationNotFoundError extends Error {
  override readonly name = 'ConversationNotFoundError';
}

export class ConversationClosedError extends Error {
  override readonly name = 'ConversationClosedError';
}

export class RequestNotFoundError extends Error {
  override readonly name = 'RequestNotFoundError';
}

/** The request is handled by another member of staff, and the caller may not act over them. */
export class RequestHandledElsewhereError extends Error {
  override readonly name = 'RequestHandledElsewhereError';
  constructor(
    readonly requestId: string,
    /** The staff id of the request's handler. */
    readonly assignedTo: string,
  ) {
    super(`request ${requestId} is handled by another staff member`);
  }
}

export class InvalidTransitionError extends Error {
  override readonly name = 'InvalidTransitionError';
  constructor(
    readonly from: RequestStatus,
    readonly to: RequestStatus,
  ) {
    super(`a request cannot go from ${from} to ${to}`);
  }
}

/** What a committed staff action leaves for the queues: messages to deliver, follow-ups to time. */
export interface ControlEffects {
  conversationId?: string;
  /** Idempotency key of the batch to deliver. */
  batchKey?: string;
  followUps: FollowUp[];
}

export interface ConversationControlOptions extends EventDependencies {
  db: Kysely<Database>;
  logger: Logger;
  policy: FollowUpPolicy;
  clock: Clock;
  /** Runs after each action commits (queue delivery and follow-ups); absent in storage-only tests. */
  afterCommit?: ((effects: ControlEffects) => Promise<void>) | undefined;
}

export interface StaffReply {
  id: string;
  deliveryStatus: DeliveryStatus;
  at: Date;
}

/**
 * What staff do to a beneficiary's conversation and requests, each in one transaction holding
 * the conversation's lock (so a staff reply never interleaves with a turn of the bot), with its
 * consequences — the beneficiary's messages, follow-ups — written in the same transaction and
 * queued once it commits. Permission checks are the staff API's job; this is the domain side.
 *
 * Built by createBot (`bot.control`).
 */
export class ConversationControl {
  constructor(private readonly options: ConversationControlOptions) {}

  /** A staff message to the beneficiary, delivered through the conversation's channel by the outbound queue. */
  async reply(conversationId: string, staffId: string, text: string): Promise<StaffReply> {
    const now = this.options.clock.now();
    const stored = await this.options.db.transaction().execute(async (trx) => {
      const conversation = await lockConversationById(trx, conversationId);
      if (!conversation) throw new ConversationNotFoundError(conversationId);
      if (conversation.mode === 'closed') throw new ConversationClosedError(conversationId);
      const message = await trx
        .insertInto('messages')
        .values({
          ...outboundRow({
            conversationId,
            channel: conversation.channel,
            sender: 'staff',
            text,
            choices: [],
            flowId: null,
            nodeId: null,
            replyToId: null,
            position: 0,
            deliveryStatus: 'pending',
          }),
          staff_id: staffId,
        })
        .returning(['id', 'delivery_status', 'created_at'])
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('escalations')
        .set({ first_response_at: now })
        .where('conversation_id', '=', conversationId)
        .where('status', '=', 'open')
        .where('first_response_at', 'is', null)
        .execute();
      await trx
        .updateTable('conversations')
        .set({ last_message_at: now, updated_at: now })
        .where('id', '=', conversationId)
        .execute();
      return message;
    });
    await this.after({ conversationId, batchKey: stored.id, followUps: [] });
    return { id: stored.id, deliveryStatus: stored.delivery_status ?? 'pending', at: stored.created_at };
  }

  /** Back to the bot: the escalation is resolved, and the beneficiary is told and shown the menu. */
  async handBack(conversationId: string, _staffId: string): Promise<void> {
    const now = this.options.clock.now();
    const replies = await this.options.db.transaction().execute(async (trx) => {
      const conversation = await lockConversationById(trx, conversationId);
      if (!conversation) throw new ConversationNotFoundError(conversationId);
      if (conversation.mode === 'closed') throw new ConversationClosedError(conversationId);
      await closeOpenEscalation(trx, conversationId, 'resolved', now);
      await cancelFollowUps(trx, { conversationId }, ['handoff_sla'], now);
      await trx
        .updateTable('conversations')
        .set({ assigned_to: null })
        .where('id', '=', conversationId)
        .execute();
      return applyEvent(
        trx,
        this.options,
        conversation,
        {
          kind: 'start',
          flowId: MAIN_MENU,
          nodeId: 'menu',
          notice: { key: 'staff.handed_back', nodeId: 'handed_back' },
        },
        now,
        { mode: 'bot' },
      );
    });
    await this.after({
      conversationId,
      batchKey: replies[0]?.id ?? `handback-${conversationId}`,
      followUps: [],
    });
  }

  /** Closes the conversation; the satisfaction survey follows after RATING_AFTER. */
  async close(conversationId: string, _staffId: string): Promise<void> {
    const now = this.options.clock.now();
    const scheduled: FollowUp[] = [];
    await this.options.db.transaction().execute(async (trx) => {
      const conversation = await lockConversationById(trx, conversationId);
      if (!conversation) throw new ConversationNotFoundError(conversationId);
      if (conversation.mode === 'closed') return;
      await closeOpenEscalation(trx, conversationId, 'resolved', now);
      await trx
        .updateTable('conversations')
        .set({ mode: 'closed', closed_at: now, updated_at: now })
        .where('id', '=', conversationId)
        .execute();
      await this.options.policy.conversationClosed(trx, conversation, now, scheduled);
    });
    await this.after({ followUps: scheduled });
  }

  /**
   * Moves a request along its life (see allowedNextStatuses) with a note for the history. An
   * unassigned request becomes the staff member's; one handled by someone else is refused
   * (RequestHandledElsewhereError) unless `anyHandler` (a supervisor), and keeps its handler. The
   * check is made under the request's row lock, so of two staff racing for an unassigned request
   * one gets it. The beneficiary is notified through a follow-up, and a delivered service
   * schedules its survey.
   */
  async changeRequestStatus(
    requestId: string,
    status: RequestStatus,
    note: string | null,
    staffId: string,
    options: { anyHandler?: boolean } = {},
  ): Promise<SupportRequest> {
    const now = this.options.clock.now();
    const scheduled: FollowUp[] = [];
    const updated = await this.options.db.transaction().execute(async (trx) => {
      const request = await trx
        .selectFrom('support_requests')
        .selectAll()
        .where('id', '=', requestId)
        .forUpdate()
        .executeTakeFirst();
      if (!request) throw new RequestNotFoundError(requestId);
      if (request.assigned_to !== null && request.assigned_to !== staffId && !options.anyHandler) {
        throw new RequestHandledElsewhereError(requestId, request.assigned_to);
      }
      if (!canChangeStatus(request.status, status)) throw new InvalidTransitionError(request.status, status);
      const changed = await trx
        .updateTable('support_requests')
        .set({ status, assigned_to: request.assigned_to ?? staffId, updated_at: now })
        .where('id', '=', requestId)
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('request_status_history')
        .values({ request_id: requestId, status, note, changed_by: staffId })
        .execute();
      await this.options.policy.requestStatusChanged(trx, changed, now, scheduled, request.status);
      return changed;
    });
    await this.after({ followUps: scheduled });
    return updated;
  }

  private async after(effects: ControlEffects): Promise<void> {
    await this.options.afterCommit?.(effects);
  }
}
