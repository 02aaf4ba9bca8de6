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

/**
 * How staff move a request along, as the policy describes its life: received, studied by the
 * research committee, then accepted, rejected or completed with more information, and served.
 */
const STAFF_TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  submitted: ['under_review', 'cancelled'],
  under_review: ['approved', 'rejected', 'needs_info'],
  needs_info: ['under_review', 'rejected', 'cancelled'],
  approved: ['completed'],
  rejected: [],
  completed: [],
  cancelled: [],
};

export function allowedNextStatuses(from: RequestStatus): readonly RequestStatus[] {
  return STAFF_TRANSITIONS[from];
}

/** Decided and done with: nothing more will happen to a request in one of these. */
export const FINAL_STATUSES: readonly RequestStatus[] = REQUEST_STATUSES.filter(
  (status) => STAFF_TRANSITIONS[status].length === 0,
);

export function canChangeStatus(from: RequestStatus, to: RequestStatus): boolean {
  return STAFF_TRANSITIONS[from].includes(to);
}
