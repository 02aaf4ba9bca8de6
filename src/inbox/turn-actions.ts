import type { Kysely } from 'kysely';
import { isSupportType, type RequestStatus } from '../domain/request-status.js';
import type { ActionHandler, ActionOutcome, ActionRequest } from '../engine/actions.js';
import type { Locale, MessageCatalog } from '../engine/i18n.js';
import { closeOpenEscalation, openEscalation } from '../storage/repositories/escalations.js';
import {
  clearLookupFailures,
  isLookupBlocked,
  recordLookupFailure,
  type ThrottlePolicy,
} from '../storage/repositories/lookup-throttle.js';
import { recordRating } from '../storage/repositories/ratings.js';
import {
  createSupportRequestWithFollowUps,
  findRequestOfContact,
  latestRequestsOfContact,
  type NewRequestFollowUp,
  type NewSupportRequest,
  type PlannedRequest,
  planSupportRequest,
  requestsOfContact,
} from '../storage/repositories/requests.js';
import type { Database, FollowUp, SupportRequest } from '../storage/schema.js';
import { formatSaudiDate } from '../text/dates.js';

/** Requests a status look-up lists, newest first (a long list is hard to read in a chat). */
const LISTED_REQUESTS = 10;

/** Follow-ups the domain asks for while a turn runs (written in the turn's transaction). */
export interface FollowUpHooks {
  /** What a request submitted at `at` starts with, written by the statement creating it. */
  newRequestFollowUps(at: Date): NewRequestFollowUp[];
  /** Rows an action scheduled, for the queue once the turn has committed. */
  scheduled(followUps: readonly FollowUp[]): void;
}

export interface TurnContext {
  db: Kysely<Database>;
  contactId: string;
  conversationId: string;
  catalog: MessageCatalog;
  throttle: ThrottlePolicy;
  /** Where the conversation was before this turn (recorded on an escalation for staff). */
  position: { flowId: string | null; nodeId: string | null };
  followUps?: FollowUpHooks | undefined;
  /**
   * Given, `create_request` writes nothing: it draws the request's reference and hands the request
   * here, for the statement that saves the turn to create with it (a turn outside a transaction).
   */
  planRequest?: ((planned: PlannedRequest) => void) | undefined;
}

function describeRequest(request: SupportRequest, catalog: MessageCatalog, locale: Locale) {
  return {
    reference: request.reference,
    status_label: catalog.format(locale, `request.status.${request.status satisfies RequestStatus}`),
    support_type_label: catalog.format(locale, `intake.support_type.${request.support_type}`),
    submitted_on: formatSaudiDate(request.created_at, locale),
    updated_on: formatSaudiDate(request.updated_at, locale),
  };
}

function text(value: unknown): string {
  if (typeof value !== 'string') throw new Error('expected a collected text answer');
  return value;
}

function number(value: unknown): number {
  if (typeof value !== 'number') throw new Error('expected a collected number answer');
  return value;
}

/** The request the intake collected, from the flow's variables. */
function collectedRequest(
  vars: ActionRequest['vars'],
  contactId: string,
  conversationId: string,
): NewSupportRequest {
  const supportType = vars.support_type;
  if (!isSupportType(supportType)) throw new Error('support_type was not collected');
  return {
    contactId,
    conversationId,
    fullName: text(vars.full_name),
    nationalId: text(vars.national_id),
    mobileE164: text(vars.mobile),
    city: text(vars.city),
    supportType,
    familySize: number(vars.family_size),
    monthlyIncome: number(vars.monthly_income),
    description: text(vars.description),
  };
}

/**
 * The engine's actions. Those that write run inside the inbound message's transaction: a request
 * is created exactly when the turn that confirmed it commits, and never twice. A turn without a
 * transaction may run only the inbox's UNLOCKED_ACTIONS: the look-ups that read, on `db` itself,
 * and create_request with `planRequest`, which leaves the writing to the statement saving the turn.
 */
export function createTurnActions(context: TurnContext): ActionHandler {
  const { db, contactId, conversationId, catalog } = context;

  const handlers: Record<ActionRequest['name'], (request: ActionRequest) => Promise<ActionOutcome>> = {
    async create_request({ vars, now }) {
      const request = collectedRequest(vars, contactId, conversationId);
      const followUps = context.followUps?.newRequestFollowUps(now) ?? [];
      if (context.planRequest) {
        const planned = planSupportRequest(request, followUps);
        context.planRequest(planned);
        return { result: 'created', vars: { reference: planned.reference } };
      }
      const created = await createSupportRequestWithFollowUps(db, request, followUps);
      context.followUps?.scheduled(created.followUps);
      return { result: 'created', vars: { reference: created.request.reference } };
    },

    async lookup_requests({ locale }): Promise<ActionOutcome> {
      const { requests, total } = await latestRequestsOfContact(db, contactId, LISTED_REQUESTS);
      if (requests.length === 0) return { result: 'none', vars: { count: 0 } };
      const lines = requests.map((request) =>
        catalog.format(locale, 'request.list_item', describeRequest(request, catalog, locale)),
      );
      // `older`: requests not listed; the text then says the list is the latest `shown`.
      return {
        result: 'some',
        vars: {
          count: total,
          shown: requests.length,
          older: total - requests.length,
          requests: lines.join('\n'),
        },
      };
    },

    async find_request({ vars, locale, now }) {
      if (await isLookupBlocked(db, contactId, now)) return { result: 'throttled' };
      const reference = typeof vars.reference === 'string' ? vars.reference : '';
      const request = await findRequestOfContact(db, contactId, reference);
      if (!request) {
        await recordLookupFailure(db, contactId, now, context.throttle);
        return { result: 'not_found' };
      }
      await clearLookupFailures(db, contactId);
      return { result: 'found', vars: describeRequest(request, catalog, locale) };
    },

    async record_rating({ vars }) {
      // A survey names what it is about: one request, or a conversation staff closed (the
      // rating then counts for whoever handled it). A rating given unprompted is about the
      // latest request.
      const surveyedRequest = typeof vars.rating_request_id === 'string' ? vars.rating_request_id : undefined;
      const surveyedConversation =
        typeof vars.rating_conversation_id === 'string' ? vars.rating_conversation_id : undefined;
      const requestId =
        surveyedRequest ??
        (surveyedConversation ? null : ((await requestsOfContact(db, contactId, 1))[0]?.id ?? null));
      const rating = await recordRating(db, {
        contactId,
        conversationId: surveyedConversation ?? conversationId,
        requestId,
        score: number(vars.score),
        comment: typeof vars.comment === 'string' ? vars.comment : null,
      });
      return { result: 'recorded', vars: { flagged: rating.flagged ? 'yes' : 'no' } };
    },

    async escalate() {
      await openEscalation(db, {
        conversationId,
        contactId,
        fromFlow: context.position.flowId,
        fromNode: context.position.nodeId,
      });
      return { result: 'escalated', mode: 'waiting' };
    },

    async cancel_escalation({ now }) {
      await closeOpenEscalation(db, conversationId, 'cancelled', now);
      return { result: 'cancelled', mode: 'bot' };
    },
  };

  return (request) => handlers[request.name](request);
}
