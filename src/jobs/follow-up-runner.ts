import type { Kysely } from 'kysely';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Clock } from '../clock.js';
import { addWorkingTime } from '../domain/working-hours.js';
import { parseConversationState } from '../engine/conversation-state.js';
import { LOCALES, type Locale } from '../engine/i18n.js';
import { type EngineEvent, hasQuestionAhead, MAIN_MENU } from '../engine/runtime.js';
import {
  applyEvent,
  type EventDependencies,
  lastReachableIdentity,
  lockConversationOf,
  planEvent,
} from '../inbox/conversation-events.js';
import { type Logger, safeError } from '../logger.js';
import type { LockedConversation } from '../storage/repositories/conversations.js';
import { markSlaBreached } from '../storage/repositories/escalations.js';
import {
  type FollowUpConversation,
  type FollowUpSnapshot,
  type FollowUpTurn,
  type FollowUpTurnResult,
  readFollowUpsForRun,
  saveFollowUpTurnsAtVersion,
} from '../storage/repositories/follow-up-turns.js';
import { finishFollowUp, lockFollowUpForRun, postponeFollowUp } from '../storage/repositories/follow-ups.js';
import type { StoredReply } from '../storage/repositories/turns.js';
import type { Database, FollowUp, FollowUpKind, SupportRequest } from '../storage/schema.js';
import { StatementBatcher } from '../storage/statement-batcher.js';
import { formatSaudiDate, formatSaudiDateTime } from '../text/dates.js';
import {
  AWAITING_DECISION,
  type FollowUpPolicy,
  INTAKE_FLOW,
  NOTIFIED_STATUSES,
} from './follow-up-policy.js';

/** A survey waits while the beneficiary is busy (mid-question, with staff), at most this often. */
const SURVEY_RETRY_MS = 60 * 60 * 1000;
const SURVEY_MAX_POSTPONEMENTS = 24;

/**
 * Follow-ups that run in their own conversation: it is locked in the statement that locks them
 * (a reminder or an expiry is two statements: that lock, then the turn with the row finished).
 */
const IN_OWN_CONVERSATION: readonly FollowUpKind[] = ['intake_reminder', 'intake_expiry', 'handoff_sla'];

/**
 * What the intake's follow-ups do to its conversation: the question asked again after a notice,
 * or the main menu after one. They only write the conversation's turn and their own row, so
 * they can also run without a transaction (see runAtVersion).
 */
const INTAKE_EVENTS: Partial<Record<FollowUpKind, EngineEvent>> = {
  intake_reminder: {
    kind: 'repeat',
    notice: { key: 'followup.intake_reminder', nodeId: 'intake_reminder' },
  },
  intake_expiry: {
    kind: 'start',
    flowId: MAIN_MENU,
    nodeId: 'menu',
    notice: { key: 'followup.intake_expired', nodeId: 'intake_expired' },
  },
};

/** Runs whose reads, or whose saves, go in one statement of the optimistic path at most. */
const MAX_RUNS_PER_STATEMENT = 64;

/**
 * Locking runs at once per process, whatever FOLLOW_UP_CONCURRENCY allows: each holds a pooled
 * connection for its transaction, and a burst of notices must leave the pool to the inbox. The
 * optimistic runs wait for a shared statement instead (two connections at most).
 */
const LOCKING_RUNS_AT_ONCE = 4;

/** A flow action was called while a run went without a transaction: it runs the locking way. */
class NeedsTransactionError extends Error {
  constructor() {
    super('the follow-up calls an action, which runs inside the locking transaction');
  }
}

const NEEDS_TRANSACTION = new NeedsTransactionError();

export interface FollowUpRunnerOptions extends EventDependencies {
  db: Kysely<Database>;
  policy: FollowUpPolicy;
  clock: Clock;
  logger: Logger;
  /** The database is a server (not PGlite): see StatementBatcherOptions.overlap. */
  databaseIsServer?: boolean | undefined;
}

/** What running a follow-up did, for the queue to act on after the transaction committed. */
export interface FollowUpRun {
  /** The conversation that got messages (to deliver). */
  conversationId?: string;
  replies: StoredReply[];
  /** The follow-up moved to a later time (to queue again). */
  postponed?: FollowUp;
  outcome: string;
}

type Decision =
  | {
      status: 'done' | 'skipped';
      outcome: string;
      conversationId?: string;
      replies?: StoredReply[];
    }
  | { status: 'postponed'; dueAt: Date; basis: Record<string, unknown>; outcome: string };

const isLocale = (value: string): value is Locale => (LOCALES as readonly string[]).includes(value);

/**
 * Runs due follow-ups: first it checks a follow-up still applies (a reminder for an intake since
 * finished does nothing), then it re-enters the engine as an event, storing the bot's messages
 * for the outbound queue with the row finished. Either in one transaction that locks the row and
 * its conversation first (runLocked), or, for the intake's reminder and expiry, without one, saved
 * only at the version read (runAtVersion).
 */
export class FollowUpRunner {
  /** The optimistic path's reads and writes, several runs' in one statement when they coincide. */
  private readonly snapshots: StatementBatcher<string, FollowUpSnapshot | undefined>;
  private readonly turns: StatementBatcher<FollowUpTurn, FollowUpTurnResult>;
  private readonly lockingRuns: LimitFunction = pLimit(LOCKING_RUNS_AT_ONCE);

  constructor(private readonly options: FollowUpRunnerOptions) {
    const { db } = options;
    const shared = { maxInFlight: 1, maxBatch: MAX_RUNS_PER_STATEMENT, overlap: !!options.databaseIsServer };
    this.snapshots = new StatementBatcher((ids) => readFollowUpsForRun(db, ids, IN_OWN_CONVERSATION), shared);
    this.turns = new StatementBatcher((turns) => saveFollowUpTurnsAtVersion(db, turns), {
      ...shared,
      keyOf: (turn) => turn.conversationId,
    });
  }

  /**
   * Runs one due follow-up. The intake's reminder and expiry (`kind`, when the caller knows it,
   * or else what the row says) first go the optimistic way (runAtVersion); everything else, and
   * whatever that way cannot settle, the locking way (runLocked).
   */
  async run(id: string, kind?: FollowUpKind): Promise<FollowUpRun> {
    if (kind === undefined || INTAKE_EVENTS[kind]) {
      const settled = await this.runAtVersion(id).catch((error: unknown) => {
        // Nothing of a failed statement stays; the locking way runs it again, or reports why not.
        this.options.logger.debug({ err: safeError(error) }, 'optimistic follow-up run failed; locking');
        return undefined;
      });
      if (settled) return settled;
    }
    return this.lockingRuns(() => this.runLocked(id));
  }

  /**
   * A run without a transaction, as the inbox runs most turns (saveTurnsAtVersion): the
   * follow-up and its conversation are read, the engine runs on that snapshot, and ONE statement
   * stores the conversation's new state, the messages and the row's end — only if neither the
   * conversation nor the follow-up changed since. Runs that coincide share both statements, so
   * a busy queue pays for two round trips and one commit per group rather than per run.
   * Undefined, with nothing written, whenever it cannot settle the run: not an intake's
   * follow-up, an intake no longer waiting for an answer (skipping is the locking way's), a flow
   * action called, an engine failure, or anything changed since the read.
   */
  private async runAtVersion(id: string): Promise<FollowUpRun | undefined> {
    const snapshot = await this.snapshots.submit(id);
    if (!snapshot) return undefined;
    const { followUp, conversation } = snapshot;
    // Finished follow-ups never start again: a committed end is final.
    if (followUp.status !== 'scheduled') return { replies: [], outcome: 'already handled' };
    const now = this.options.clock.now();
    // The queue looks again at the row's time; a job for it at that time is queued only once.
    if (followUp.due_at.getTime() > now.getTime())
      return { replies: [], postponed: followUp, outcome: 'not due yet' };
    const event = INTAKE_EVENTS[followUp.kind];
    if (!event || !conversation || this.intakeSkip(conversation)) return undefined;
    // Answered since: put back to its time from the last answer, the locking way (intake).
    if (this.options.policy.intakeDueAt(followUp, conversation.last_inbound_at) > now) return undefined;
    const planned = await planEvent(this.options.db, this.options, conversation, event, now, {
      actions: async () => {
        throw NEEDS_TRANSACTION;
      },
    });
    const saved = await this.turns.submit({
      followUpId: followUp.id,
      outcome: 'sent',
      conversationId: conversation.id,
      version: conversation.version,
      identityPhone: conversation.identity_phone,
      turn: { ...planned.turn, stateJson: JSON.stringify(planned.turn.state) },
      replies: planned.replies,
    });
    if (!saved.applied) return undefined;
    return { conversationId: conversation.id, replies: saved.replies, outcome: 'sent' };
  }

  /** The reference way: one transaction that locks the follow-up and its conversation first. */
  private async runLocked(id: string): Promise<FollowUpRun> {
    return this.options.db.transaction().execute(async (trx) => {
      const now = this.options.clock.now();
      // The follow-up, and (when it is due by `now` and runs there) its own conversation, in
      // one statement; so past the checks below, that conversation is locked if it exists.
      const locked = await lockFollowUpForRun(trx, id, now, IN_OWN_CONVERSATION);
      if (locked?.followUp.status !== 'scheduled') return { replies: [], outcome: 'already handled' };
      const { followUp } = locked;
      // Put back to a later time since this job was queued (see intake): the queue looks again
      // at the row's new time.
      if (followUp.due_at.getTime() > now.getTime())
        return { replies: [], postponed: followUp, outcome: 'not due yet' };
      const decision = await this.decide(trx, followUp, now, locked.conversation);
      if (decision.status === 'postponed') {
        const postponed = await postponeFollowUp(trx, id, decision.dueAt, decision.basis);
        return { replies: [], postponed, outcome: decision.outcome };
      }
      // A follow-up done sent messages, and its row was finished with them (see send).
      if (decision.status !== 'done') await finishFollowUp(trx, id, decision.status, decision.outcome, now);
      return {
        ...(decision.conversationId ? { conversationId: decision.conversationId } : {}),
        replies: decision.replies ?? [],
        outcome: decision.outcome,
      };
    });
  }

  private decide(
    trx: Kysely<Database>,
    followUp: FollowUp,
    now: Date,
    conversation: LockedConversation | undefined,
  ): Promise<Decision> {
    switch (followUp.kind) {
      case 'intake_reminder':
      case 'intake_expiry':
        return this.intake(trx, followUp, now, conversation, INTAKE_EVENTS[followUp.kind] as EngineEvent);
      case 'review_notice':
        return this.reviewNotice(trx, followUp, now);
      case 'status_notice':
        return this.statusNotice(trx, followUp, now);
      case 'rating_survey':
        return this.ratingSurvey(trx, followUp, now);
      case 'handoff_sla':
        return this.handoffSla(trx, followUp, now, conversation);
    }
  }

  /** Only while the conversation is still in the unfinished intake, with the bot. */
  private async intake(
    trx: Kysely<Database>,
    followUp: FollowUp,
    now: Date,
    conversation: LockedConversation | undefined,
    event: EngineEvent,
  ): Promise<Decision> {
    const skip = this.intakeSkip(conversation);
    if (skip || !conversation) return { status: 'skipped', outcome: skip ?? 'conversation moved on' };
    // Answered since the row's time was set: it counts from the last answer (intakeDueAt).
    const dueAt = this.options.policy.intakeDueAt(followUp, conversation.last_inbound_at);
    if (dueAt > now)
      return {
        status: 'postponed',
        dueAt,
        basis: followUp.basis as Record<string, unknown>,
        outcome: 'not due yet',
      };
    return this.send(trx, followUp, conversation, event, now);
  }

  /** Why an intake's follow-up no longer applies to its conversation, if it does not. */
  private intakeSkip(conversation: Pick<FollowUpConversation, 'mode' | 'state'> | undefined) {
    if (conversation?.mode !== 'bot') return 'conversation moved on';
    // Submitted (waiting at intake/submitted) is finished too: no «لم يكتمل طلب الدعم», no expiry.
    const { flowId, nodeId } = parseConversationState(conversation.state);
    if (flowId !== INTAKE_FLOW || !nodeId || !hasQuestionAhead(this.options.engine.flows, flowId, nodeId)) {
      return 'intake finished';
    }
    return undefined;
  }

  private async reviewNotice(trx: Kysely<Database>, followUp: FollowUp, now: Date): Promise<Decision> {
    const request = await this.request(trx, followUp);
    if (!request || !AWAITING_DECISION.includes(request.status))
      return { status: 'skipped', outcome: 'decided' };
    return this.toContact(trx, followUp, now, (locale) => ({
      kind: 'notice',
      notice: {
        key: 'followup.review_notice',
        nodeId: 'review_notice',
        params: { reference: request.reference, submitted_on: formatSaudiDate(request.created_at, locale) },
      },
    }));
  }

  private async statusNotice(trx: Kysely<Database>, followUp: FollowUp, now: Date): Promise<Decision> {
    const request = await this.request(trx, followUp);
    const status = (followUp.basis as { status?: string }).status;
    // A later change has its own notice: tell only the status the request is still in.
    if (!request || request.status !== status || !NOTIFIED_STATUSES.includes(request.status)) {
      return { status: 'skipped', outcome: 'status changed again' };
    }
    return this.toContact(trx, followUp, now, () => ({
      kind: 'notice',
      notice: {
        key: `followup.status.${request.status}`,
        nodeId: 'status_notice',
        params: { reference: request.reference },
      },
    }));
  }

  /**
   * One survey per service, never to someone who cannot be reached, never interrupting: while
   * the beneficiary is answering a question or talking with staff it waits and tries again.
   */
  private async ratingSurvey(trx: Kysely<Database>, followUp: FollowUp, now: Date): Promise<Decision> {
    const rated = await trx
      .selectFrom('ratings')
      .select('id')
      .where((eb) =>
        followUp.request_id
          ? eb('request_id', '=', followUp.request_id)
          : eb('conversation_id', '=', followUp.conversation_id),
      )
      .where('created_at', '>=', followUp.created_at)
      .executeTakeFirst();
    if (rated) return { status: 'skipped', outcome: 'already rated' };

    const identity = followUp.request_id
      ? await lastReachableIdentity(trx, followUp.contact_id)
      : await this.identityOfConversation(trx, followUp.conversation_id);
    if (!identity) return { status: 'skipped', outcome: 'unreachable' };
    const conversation = await lockConversationOf(
      trx,
      identity,
      await this.localeOf(trx, followUp.contact_id),
    );
    if (this.busy(conversation)) {
      const postponements = Number((followUp.basis as { postponed?: number }).postponed ?? 0);
      if (postponements >= SURVEY_MAX_POSTPONEMENTS)
        return { status: 'skipped', outcome: 'beneficiary busy' };
      return {
        status: 'postponed',
        dueAt: new Date(now.getTime() + SURVEY_RETRY_MS),
        basis: { ...(followUp.basis as Record<string, unknown>), postponed: postponements + 1 },
        outcome: 'beneficiary busy',
      };
    }
    return this.send(
      trx,
      followUp,
      conversation,
      {
        kind: 'start',
        flowId: 'rating',
        // The survey names what it is about: the service (request), or the conversation staff
        // closed — which is not the one it runs in, as a closed conversation never reopens.
        vars: followUp.request_id
          ? { rating_request_id: followUp.request_id }
          : followUp.conversation_id
            ? { rating_conversation_id: followUp.conversation_id }
            : {},
        notice: { key: 'followup.rating_invite', nodeId: 'rating_invite' },
      },
      now,
    );
  }

  /**
   * Still waiting after the service level: staff are alerted — the open escalation is marked
   * (`sla_breached_at`), which the staff inbox flags and, as the conversation changes, the live
   * inbox announces — and the beneficiary is told when to expect a reply.
   */
  private async handoffSla(
    trx: Kysely<Database>,
    followUp: FollowUp,
    now: Date,
    conversation: LockedConversation | undefined,
  ): Promise<Decision> {
    if (conversation?.mode !== 'waiting') return { status: 'skipped', outcome: 'answered' };
    await markSlaBreached(trx, conversation.id, now);
    this.options.logger.warn(
      { conversationId: conversation.id, waitingSince: (followUp.basis as { since?: string }).since },
      'a beneficiary has waited for staff longer than HANDOFF_SLA',
    );
    const { workingHours, handoffSlaMs } = this.options.policy.timings;
    const expected = addWorkingTime(workingHours, now, handoffSlaMs);
    const locale = isLocale(conversation.locale) ? conversation.locale : this.options.defaultLocale;
    return this.send(
      trx,
      followUp,
      conversation,
      {
        kind: 'notice',
        notice: {
          key: 'followup.handoff_sla',
          nodeId: 'handoff_sla',
          params: { expected_at: formatSaudiDateTime(expected, locale) },
        },
      },
      now,
      'sla_breached',
    );
  }

  private async toContact(
    trx: Kysely<Database>,
    followUp: FollowUp,
    now: Date,
    event: (locale: Locale) => EngineEvent,
  ): Promise<Decision> {
    const contactId = followUp.contact_id;
    const identity = await lastReachableIdentity(trx, contactId);
    if (!identity) return { status: 'skipped', outcome: 'unreachable' };
    const conversation = await lockConversationOf(trx, identity, await this.localeOf(trx, contactId));
    const locale = isLocale(conversation.locale) ? conversation.locale : this.options.defaultLocale;
    return this.send(trx, followUp, conversation, event(locale), now);
  }

  /**
   * Runs the event and stores its turn; the follow-up is marked done with `outcome` in the same
   * statement (saveTurn's data-modifying CTE), so the messages and the row's end go together.
   * That statement is the run's last (see run), so it carries the COMMIT.
   */
  private async send(
    trx: Kysely<Database>,
    followUp: FollowUp,
    conversation: LockedConversation,
    event: EngineEvent,
    now: Date,
    outcome = 'sent',
  ): Promise<Decision> {
    const replies = await applyEvent(trx, this.options, conversation, event, now, {
      followUpWrites: { finish: { id: followUp.id, status: 'done', outcome, at: now } },
      endsTransaction: true,
    });
    return { status: 'done', outcome, conversationId: conversation.id, replies };
  }

  /** Answering a question, or with staff: not the moment for a survey. */
  private busy(conversation: LockedConversation): boolean {
    if (conversation.mode === 'waiting' || conversation.mode === 'staff') return true;
    const state = parseConversationState(conversation.state);
    if (!state.flowId || !state.nodeId || state.flowId === MAIN_MENU) return false;
    return this.options.engine.flows.get(state.flowId)?.nodes.get(state.nodeId)?.type === 'ask';
  }

  private async request(trx: Kysely<Database>, followUp: FollowUp): Promise<SupportRequest | undefined> {
    if (!followUp.request_id) return undefined;
    return trx
      .selectFrom('support_requests')
      .selectAll()
      .where('id', '=', followUp.request_id)
      .executeTakeFirst();
  }

  private async identityOfConversation(trx: Kysely<Database>, conversationId: string | null) {
    if (!conversationId) return undefined;
    return trx
      .selectFrom('conversations')
      .innerJoin('channel_identities', 'channel_identities.id', 'conversations.identity_id')
      .selectAll('channel_identities')
      .where('conversations.id', '=', conversationId)
      .where('channel_identities.unreachable_at', 'is', null)
      .executeTakeFirst();
  }

  private async localeOf(trx: Kysely<Database>, contactId: string): Promise<Locale> {
    const contact = await trx
      .selectFrom('contacts')
      .select('locale')
      .where('id', '=', contactId)
      .executeTakeFirst();
    return contact && isLocale(contact.locale) ? contact.locale : this.options.defaultLocale;
  }
}
