import type { Locale } from './i18n.js';
import type { AnswerValue } from './validators.js';

/** Conversation modes (Chatwoot's bot / pending / open / resolved): they decide who answers. */
export type ConversationMode = 'bot' | 'waiting' | 'staff' | 'closed';

/**
 * Named actions a flow may run, each with every result it can report. Flows map results to
 * nodes (`results:`), and the linter checks both directions against this list.
 */
export const ACTION_RESULTS = {
  create_request: ['created'],
  lookup_requests: ['some', 'none'],
  find_request: ['found', 'not_found', 'throttled'],
  record_rating: ['recorded'],
  escalate: ['escalated'],
} as const satisfies Record<string, readonly string[]>;

export type ActionName = keyof typeof ACTION_RESULTS;

export function isActionName(name: string): name is ActionName {
  return Object.hasOwn(ACTION_RESULTS, name);
}

export interface ActionRequest {
  name: ActionName | 'cancel_escalation';
  vars: Readonly<Record<string, AnswerValue>>;
  locale: Locale;
  now: Date;
}

export interface ActionOutcome {
  result: string;
  /** Variables the flow can use next (e.g. the new request's reference). */
  vars?: Record<string, AnswerValue>;
  /** A new conversation mode (escalation hands the conversation to staff). */
  mode?: ConversationMode;
}

/**
 * The port through which the engine reaches the domain. The inbox implements it inside the
 * message's transaction, so an action's writes commit or roll back with the turn.
 */
export type ActionHandler = (request: ActionRequest) => Promise<ActionOutcome>;
