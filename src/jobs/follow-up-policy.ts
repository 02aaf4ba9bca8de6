import type { Kysely } from 'kysely';
import type { RequestStatus } from '../domain/request-status.js';
import { addWorkingTime, type WorkingHours } from '../domain/working-hours.js';
import type { ConversationMode } from '../engine/actions.js';
import type { FollowUpHooks } from '../inbox/turn-actions.js';
import {
  cancelFollowUps,
  type FollowUpRestart,
  type NewFollowUp,
  restartFollowUps,
  scheduleFollowUp,
} from '../storage/repositories/follow-ups.js';
import type { NewRequestFollowUp } from '../storage/repositories/requests.js';
import type { Database, FollowUp, SupportRequest } from '../storage/schema.js';

export const INTAKE_FLOW = 'intake';

/** What an unfinished support request schedules: a reminder, then its expiry. */
const INTAKE_FOLLOW_UPS = ['intake_reminder', 'intake_expiry'] as const;

/** When each follow-up falls due (all from configuration). */
export interface FollowUpTimings {
  intakeReminderAfterMs: number;
  intakeExpiresAfterMs: number;
  reviewNoticeAfterMs: number;
  ratingAfterMs: number;
  handoffSlaMs: number;
  workingHours: WorkingHours;
}

/** Statuses in which the request is still with the research committee, undecided. */
const AWAITING_DECISION: readonly RequestStatus[] = ['submitted', 'under_review'];

/** Statuses the beneficiary is told about when staff set them. */
export const NOTIFIED_STATUSES: readonly RequestStatus[] = [
  'under_review',
  'needs_info',
  'approved',
  'rejected',
  'completed',
  'cancelled',
];

/** Whether a turn left an intake that is still waiting for answers (one submitted is not). */
function intakeUnfinished(after: TurnChange['after']): boolean {
  return after.flowId === INTAKE_FLOW && after.mode === 'bot' && after.questionAhead !== false;
}

/** What a turn's follow-ups need written, when no statement of their own is needed (inlineWrites). */
export interface InlineFollowUpWrites {
  restart?: FollowUpRestart | undefined;
}

export interface TurnChange {
  contactId: string;
  conversationId: string;
  before: { flowId: string | null; mode: ConversationMode };
  /**
   * `questionAhead`: whether the flow can still ask something from where the turn left it. A
   * submitted request leaves the conversation in the intake, with nothing more to answer.
   */
  after: { flowId: string | null; mode: ConversationMode; questionAhead?: boolean };
  at: Date;
}

/**
 * Decides which follow-ups a change calls for, and writes them in the change's own transaction
 * (so neither can happen without the other). Each decision collects the rows it scheduled, for
 * the caller to hand to the queue once the transaction has committed.
 */
export class FollowUpPolicy {
  constructor(readonly timings: FollowUpTimings) {}

  /** Hooks for one turn's actions; what they schedule lands in `scheduled`. */
  hooks(scheduled: FollowUp[]): FollowUpHooks {
    return {
      // Submitted is with the research committee already (the policy sends it there at once):
      // its review period, and so its notice, starts now.
      newRequestFollowUps: (at) => [this.reviewNoticeOf('submitted', at)],
      scheduled: (rows) => {
        scheduled.push(...rows);
      },
    };
  }

  /**
   * After an inbound turn: an unfinished support request gets a reminder and an expiry, which
   * count from the last answer (see intakeDueAt: the answer itself writes nothing here); a new
   * wait for staff gets its service-level check. Everything is written here, now.
   */
  async afterTurn(db: Kysely<Database>, change: TurnChange, scheduled: FollowUp[]): Promise<void> {
    const { before, after, at } = change;
    const inline = this.inlineWrites(change);
    // Inline or not, leaving the intake or starting it afresh restarts its follow-ups here.
    const intakeChanged = before.flowId === INTAKE_FLOW || after.flowId === INTAKE_FLOW;
    const restart = inline ? inline.restart : intakeChanged ? this.intakeRestart(change) : undefined;
    if (restart)
      scheduled.push(
        ...(await restartFollowUps(db, change.conversationId, restart.kinds, restart.at, restart.fresh)),
      );
    if (inline) return;
    if (before.mode !== 'waiting' && after.mode === 'waiting') {
      await this.add(db, scheduled, {
        kind: 'handoff_sla',
        contactId: change.contactId,
        conversationId: change.conversationId,
        basis: { since: at.toISOString() },
        dueAt: addWorkingTime(this.timings.workingHours, at, this.timings.handoffSlaMs),
      });
    }
    if (before.mode === 'waiting' && after.mode !== 'waiting') {
      await cancelFollowUps(db, { conversationId: change.conversationId }, ['handoff_sla'], at);
    }
  }

  /**
   * The follow-up writes of a turn, as data to carry in the statement that saves it: starting
   * the intake afresh or leaving it cancels what is left over and, on a start, schedules both
   * again (`restart`); any other turn writes nothing — another answer in the intake included,
   * whose reminder and expiry count from it when they wake (intakeDueAt). Undefined when the
   * wait for staff starts or ends: afterTurn writes those itself.
   */
  inlineWrites(change: TurnChange): InlineFollowUpWrites | undefined {
    const { before, after } = change;
    const wasInIntake = before.flowId === INTAKE_FLOW && before.mode === 'bot';
    const inIntake = intakeUnfinished(after);
    // Another answer: nothing to write. Its conversation's last_inbound_at, which the turn sets,
    // moves the reminder and the expiry on (intakeDueAt).
    if (wasInIntake && inIntake) return {};
    if ((before.mode === 'waiting') !== (after.mode === 'waiting')) return undefined;
    // Leaving the intake, or starting it afresh: nothing left over keeps its old times.
    if (before.flowId === INTAKE_FLOW || after.flowId === INTAKE_FLOW)
      return { restart: this.intakeRestart(change) };
    return {};
  }

  /** The intake's follow-ups started afresh: cancelled, and scheduled again if it is running. */
  private intakeRestart(change: TurnChange): FollowUpRestart {
    const inIntake = intakeUnfinished(change.after);
    const times = this.intakeTimes(change.at);
    return {
      kinds: INTAKE_FOLLOW_UPS,
      at: change.at,
      fresh: inIntake
        ? INTAKE_FOLLOW_UPS.map((kind) => ({
            kind,
            contactId: change.contactId,
            conversationId: change.conversationId,
            basis: { flowId: INTAKE_FLOW },
            dueAt: times[kind],
          }))
        : [],
    };
  }

  /**
   * When an intake's reminder or expiry really falls due: its row's time, or its delay after the
   * beneficiary's last message (`lastInboundAt`), whichever is later. Each answer moves both on,
   * without a write: the row keeps the time it was scheduled for (the intake's start, or a time
   * it was put back to), its queued job wakes then, and the runner puts it back to this time if
   * an answer came since. A reminder already sent stays sent — one reminder per request in
   * progress — while the expiry keeps counting from the last answer. Other kinds: the row's time.
   */
  intakeDueAt(followUp: Pick<FollowUp, 'kind' | 'due_at'>, lastInboundAt: Date | null | undefined): Date {
    const { kind, due_at: scheduled } = followUp;
    if (!lastInboundAt || (kind !== 'intake_reminder' && kind !== 'intake_expiry')) return scheduled;
    const fromLastAnswer = this.intakeTimes(lastInboundAt)[kind];
    return new Date(Math.max(fromLastAnswer.getTime(), scheduled.getTime()));
  }

  private intakeTimes(at: Date): Record<(typeof INTAKE_FOLLOW_UPS)[number], Date> {
    return {
      intake_reminder: new Date(at.getTime() + this.timings.intakeReminderAfterMs),
      intake_expiry: new Date(at.getTime() + this.timings.intakeExpiresAfterMs),
    };
  }

  /** Staff closed a conversation: the satisfaction survey, once per conversation. */
  async conversationClosed(
    db: Kysely<Database>,
    conversation: { id: string; contact_id: string },
    at: Date,
    scheduled: FollowUp[],
  ): Promise<void> {
    await cancelFollowUps(db, { conversationId: conversation.id }, ['handoff_sla', ...INTAKE_FOLLOW_UPS], at);
    await this.add(db, scheduled, {
      kind: 'rating_survey',
      contactId: conversation.contact_id,
      conversationId: conversation.id,
      basis: { reason: 'conversation_closed' },
      dueAt: new Date(at.getTime() + this.timings.ratingAfterMs),
    });
  }

  /**
   * Staff changed a request's status (from `previous`): tell the beneficiary now (through the
   * queue), stop the «still under review» notice on any decision (more information needed
   * included), start a new one when the request comes back under review, and survey once the
   * service is delivered.
   */
  async requestStatusChanged(
    db: Kysely<Database>,
    request: SupportRequest,
    at: Date,
    scheduled: FollowUp[],
    previous?: RequestStatus,
  ): Promise<void> {
    if (!AWAITING_DECISION.includes(request.status)) {
      await cancelFollowUps(db, { requestId: request.id }, ['review_notice'], at);
    } else if (previous && !AWAITING_DECISION.includes(previous)) {
      // Back with the committee (after more information): a new review period, counted from now.
      await this.reviewNotice(db, request, at, scheduled);
    } else if (!(await this.hasReviewNotice(db, request.id))) {
      // Submitted → under review is the same period, whose notice was set at submission; only a
      // request that never had one (not created through the intake) gets one now.
      await this.reviewNotice(db, request, at, scheduled);
    }
    if (NOTIFIED_STATUSES.includes(request.status)) {
      await this.add(db, scheduled, {
        kind: 'status_notice',
        contactId: request.contact_id,
        requestId: request.id,
        basis: { status: request.status },
        dueAt: at,
      });
    }
    if (request.status === 'completed') {
      await this.add(db, scheduled, {
        kind: 'rating_survey',
        contactId: request.contact_id,
        requestId: request.id,
        basis: { reason: 'service_delivered' },
        dueAt: new Date(at.getTime() + this.timings.ratingAfterMs),
      });
    }
  }

  /**
   * The «still under review» notice of a review period starting at `at`. At most one is scheduled
   * per request (a unique index): a second call within the period adds nothing.
   */
  private async reviewNotice(
    db: Kysely<Database>,
    request: SupportRequest,
    at: Date,
    scheduled: FollowUp[],
  ): Promise<void> {
    await this.add(db, scheduled, {
      ...this.reviewNoticeOf(request.status, at),
      contactId: request.contact_id,
      requestId: request.id,
    });
  }

  /** The «still under review» notice of a review period starting at `at`, for any request. */
  private reviewNoticeOf(status: RequestStatus, at: Date): NewRequestFollowUp {
    return {
      kind: 'review_notice',
      basis: { status, reviewSince: at.toISOString() },
      dueAt: new Date(at.getTime() + this.timings.reviewNoticeAfterMs),
    };
  }

  private async hasReviewNotice(db: Kysely<Database>, requestId: string): Promise<boolean> {
    const found = await db
      .selectFrom('follow_ups')
      .select('id')
      .where('request_id', '=', requestId)
      .where('kind', '=', 'review_notice')
      .executeTakeFirst();
    return found !== undefined;
  }

  private async add(db: Kysely<Database>, scheduled: FollowUp[], followUp: NewFollowUp): Promise<void> {
    const row = await scheduleFollowUp(db, followUp);
    if (row) scheduled.push(row);
  }
}

export { AWAITING_DECISION };
