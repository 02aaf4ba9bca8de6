import { z } from 'zod';
import { type ConversationState, initialState } from './runtime.js';

const answerValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const stateSchema = z.object({
  flowId: z.string().nullable(),
  nodeId: z.string().nullable(),
  flowVersion: z.string().nullable(),
  vars: z.record(z.string(), answerValue),
  history: z.array(z.string()),
  returnTo: z.string().nullable(),
  fallbacks: z.number().int().min(0),
  suggestions: z.array(z.object({ flowId: z.string(), nodeId: z.string(), label: z.string() })),
  lastAckAt: z.string().nullable(),
  // Absent in states stored before it existed: no choice made yet.
  localeChosen: z.boolean().default(false),
});

/**
 * Reads a stored conversation state. State written by an older release that no longer fits
 * starts the conversation afresh rather than crashing on it.
 */
export function parseConversationState(stored: unknown): ConversationState {
  const result = stateSchema.safeParse(stored);
  return result.success ? result.data : initialState();
}
