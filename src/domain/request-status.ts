/**
 * The life of a support request, as the policy describes it: received, studied by the research
 * committee, perhaps completed with more information, then accepted or rejected, and served.
 */
export const REQUEST_STATUSES = [
  'submitted',
  'under_review',
  'needs_info',
  'approved',
  'rejected',
  'completed',
  'cancelled',
] as const;

export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const SUPPORT_TYPES = ['financial', 'food', 'housing', 'education', 'health', 'other'] as const;
export type SupportType = (typeof SUPPORT_TYPES)[number];

export function isSupportType(value: unknown): value is SupportType {
  return typeof value === 'string' && (SUPPORT_TYPES as readonly string[]).includes(value);
}

/** Ratings at or below this score are flagged for a supervisor. */
export const FLAGGED_RATING_MAX = 2;
