import { allowedNextStatuses } from '../domain/request-status.js';
import {
  ConversationClosedError,
  type ConversationControl,
  ConversationNotFoundError,
  InvalidTransitionError,
  RequestHandledElsewhereError,
  RequestNotFoundError,
} from '../inbox/conversation-control.js';
import { handledByColleague, StaffApiError } from './errors.js';

/**
 * What the staff API asks of the conversation layer: the writes that reach the beneficiary — a
 * reply, the hand-back, the close, a status change with its notice — and so need the engine, the
 * follow-ups and the delivery queue. Takeover and transfer only move the assignment and stay in
 * the staff module.
 */
export type StaffControl = Pick<ConversationControl, 'reply' | 'handBack' | 'close' | 'changeRequestStatus'>;

/**
 * The conversation layer's refusals as API answers, matched by class. Most are checked before
 * the call already; these cover the moment between that check and the control's own lock.
 */
export function controlErrorAnswer(error: unknown): StaffApiError | undefined {
  if (error instanceof ConversationNotFoundError)
    return new StaffApiError('not_found', 'conversation not found');
  if (error instanceof RequestNotFoundError) return new StaffApiError('not_found', 'request not found');
  if (error instanceof ConversationClosedError) {
    return new StaffApiError('conversation_closed', 'this conversation is closed');
  }
  if (error instanceof RequestHandledElsewhereError) {
    // Taken by a colleague between the route's check and the control's lock.
    return handledByColleague({ id: error.assignedTo, name: null });
  }
  if (error instanceof InvalidTransitionError) {
    return new StaffApiError('invalid_transition', `a ${error.from} request cannot become ${error.to}`, {
      allowedNext: allowedNextStatuses(error.from),
    });
  }
  return undefined;
}
