import type { Condition } from './flow-schema.js';
import type { AnswerValue } from './validators.js';

/** Evaluates a branch condition against the conversation's variables; every given test must hold. */
export function evaluateCondition(
  condition: Condition,
  vars: Readonly<Record<string, AnswerValue>>,
): boolean {
  const value = vars[condition.var];
  const present = value !== undefined && value !== null;
  if (condition.exists !== undefined && condition.exists !== present) return false;
  if (condition.equals !== undefined && value !== condition.equals) return false;
  if (condition.not_equals !== undefined && value === condition.not_equals) return false;
  if (condition.in !== undefined && !condition.in.includes(value ?? null)) return false;
  const numeric = typeof value === 'number' ? value : undefined;
  if (condition.lt !== undefined && !(numeric !== undefined && numeric < condition.lt)) return false;
  if (condition.lte !== undefined && !(numeric !== undefined && numeric <= condition.lte)) return false;
  if (condition.gt !== undefined && !(numeric !== undefined && numeric > condition.gt)) return false;
  if (condition.gte !== undefined && !(numeric !== undefined && numeric >= condition.gte)) return false;
  return true;
}
